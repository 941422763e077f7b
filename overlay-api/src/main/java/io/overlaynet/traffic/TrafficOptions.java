package io.overlaynet.traffic;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Options of a {@link TrafficManager}; immutable, with flanneld's defaults in {@link #DEFAULT}.
 *
 * <pre>{@code
 * TrafficOptions opts = TrafficOptions.DEFAULT
 *     .withResyncPeriod(Duration.ofSeconds(5))                       // --iptables-resync
 *     .withRandomFully(false)                                        // --ip-masq-fully-random-disable
 *     .withCommandPrefix(List.of("ip", "netns", "exec", "node1"));   // rules of another netns
 * }</pre>
 */
public final class TrafficOptions {

  /** flanneld's defaults: resync every 5 s, {@code --random-fully} when supported, 10 s per command. */
  public static final TrafficOptions DEFAULT =
      new TrafficOptions(Duration.ofSeconds(5), true, Duration.ofSeconds(10), Optional.empty(), List.of());

  private final Duration resyncPeriod;
  private final boolean randomFully;
  private final Duration commandTimeout;
  private final Optional<Path> iptablesDirectory;
  private final List<String> commandPrefix;

  private TrafficOptions(Duration resyncPeriod, boolean randomFully, Duration commandTimeout,
      Optional<Path> iptablesDirectory, List<String> commandPrefix) {
    checkArgument(!resyncPeriod.isNegative() && !resyncPeriod.isZero(),
        "the resync period must be positive: %s", resyncPeriod);
    checkArgument(!commandTimeout.isNegative() && !commandTimeout.isZero(),
        "the command timeout must be positive: %s", commandTimeout);
    this.resyncPeriod = resyncPeriod;
    this.randomFully = randomFully;
    this.commandTimeout = commandTimeout;
    this.iptablesDirectory = Objects.requireNonNull(iptablesDirectory);
    this.commandPrefix = List.copyOf(commandPrefix);
  }

  /** Returns how often the installed rules are checked and restored, default 5 s ({@code --iptables-resync}). */
  public Duration resyncPeriod() {
    return resyncPeriod;
  }

  /**
   * Returns whether MASQUERADE rules get {@code --random-fully} when the installed iptables
   * supports it (version 1.6.2 or later, probed once); default true. False is flanneld's
   * {@code --ip-masq-fully-random-disable}.
   */
  public boolean randomFully() {
    return randomFully;
  }

  /** Returns how long one iptables command may run before it is killed, default 10 s. */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  /**
   * Returns the directory holding {@code iptables}, {@code iptables-restore}, {@code ip6tables} and
   * {@code ip6tables-restore}; empty (the default) searches {@code PATH}, then {@code /usr/sbin}
   * and {@code /sbin}.
   */
  public Optional<Path> iptablesDirectory() {
    return iptablesDirectory;
  }

  /**
   * Returns the words put before every command, e.g. {@code [ip, netns, exec, node1]} to manage
   * the rules of a named network namespace; empty by default.
   */
  public List<String> commandPrefix() {
    return commandPrefix;
  }

  /**
   * Returns a copy with this resync period.
   *
   * @throws IllegalArgumentException if not positive
   */
  public TrafficOptions withResyncPeriod(Duration period) {
    return new TrafficOptions(period, randomFully, commandTimeout, iptablesDirectory, commandPrefix);
  }

  /** Returns a copy that uses {@code --random-fully} when supported (true) or never (false). */
  public TrafficOptions withRandomFully(boolean enabled) {
    return new TrafficOptions(resyncPeriod, enabled, commandTimeout, iptablesDirectory, commandPrefix);
  }

  /**
   * Returns a copy with this per-command timeout.
   *
   * @throws IllegalArgumentException if not positive
   */
  public TrafficOptions withCommandTimeout(Duration timeout) {
    return new TrafficOptions(resyncPeriod, randomFully, timeout, iptablesDirectory, commandPrefix);
  }

  /** Returns a copy that runs the iptables binaries from {@code directory}. */
  public TrafficOptions withIptablesDirectory(Path directory) {
    return new TrafficOptions(resyncPeriod, randomFully, commandTimeout, Optional.of(directory), commandPrefix);
  }

  /** Returns a copy that puts {@code prefix} before every command (empty for none). */
  public TrafficOptions withCommandPrefix(List<String> prefix) {
    return new TrafficOptions(resyncPeriod, randomFully, commandTimeout, iptablesDirectory, prefix);
  }

  @Override
  public String toString() {
    return "TrafficOptions{resyncPeriod=" + resyncPeriod + ", randomFully=" + randomFully + ", commandTimeout="
        + commandTimeout + ", iptablesDirectory=" + iptablesDirectory.map(Path::toString).orElse("PATH")
        + ", commandPrefix=" + commandPrefix + "}";
  }
}
