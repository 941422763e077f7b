package io.overlaynet.traffic;

import io.overlaynet.OverlayException;
import java.util.List;
import java.util.OptionalInt;

/**
 * An iptables command could not be run, failed, or did not finish within its timeout.
 *
 * <p>Every call that touches the firewall shells out to an external program that can fail at any
 * time (xtables lock held, missing kernel module, binary not installed); the methods that can
 * fail declare it, and the caller decides whether that is fatal. Unchecked, as every
 * {@link OverlayException}. The message names the command and carries its stderr.
 *
 * <pre>{@code
 * try {
 *   tm.setupMasqRules(spec);
 * } catch (TrafficException e) {
 *   log.error("ip-masq rules not installed: {}", e.getMessage());   // includes iptables' stderr
 * }
 * }</pre>
 */
public class TrafficException extends OverlayException {

  private static final long serialVersionUID = 1L;

  /** The command line that failed; empty if the failure is not about one command. */
  private final List<String> command;
  /** The exit code, or -1 if the command never exited by itself (kept as an int: OptionalInt is not serializable). */
  private final int exitCode;
  /** The command's stderr, trimmed. */
  private final String stderr;
  /** Whether the command was killed for exceeding its timeout. */
  private final boolean timedOut;

  /** Creates an exception that is not about one specific command run. */
  public TrafficException(String message, Throwable cause) {
    this(message, cause, List.of(), OptionalInt.empty(), "", false);
  }

  /**
   * Creates an exception about one command run.
   *
   * @param message what failed, including the command and its stderr
   * @param cause the underlying exception, or null
   * @param command the full command line that was run (including any command prefix)
   * @param exitCode the exit code, empty if the command did not exit by itself
   * @param stderr what the command wrote to stderr (possibly partial if it was killed)
   * @param timedOut whether the command was killed because it exceeded its timeout
   */
  public TrafficException(String message, Throwable cause, List<String> command, OptionalInt exitCode,
      String stderr, boolean timedOut) {
    super(message, cause);
    this.command = List.copyOf(command);
    this.exitCode = exitCode.orElse(-1);
    this.stderr = stderr;
    this.timedOut = timedOut;
  }

  /** Returns the command line that failed, or an empty list if the failure is not about one command. */
  public List<String> command() {
    return command;
  }

  /** Returns the command's exit code, empty if it never exited by itself (not started, killed). */
  public OptionalInt exitCode() {
    return exitCode < 0 ? OptionalInt.empty() : OptionalInt.of(exitCode);
  }

  /** Returns the command's stderr, trimmed; empty if none. */
  public String stderr() {
    return stderr;
  }

  /** Returns whether the command was killed because it exceeded {@link TrafficOptions#commandTimeout()}. */
  public boolean timedOut() {
    return timedOut;
  }
}
