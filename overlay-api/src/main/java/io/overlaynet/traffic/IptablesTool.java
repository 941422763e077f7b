package io.overlaynet.traffic;

import io.overlaynet.traffic.IptablesRules.Rule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The iptables commands of one family ({@code iptables} or {@code ip6tables}): probe, check,
 * restore. The version is probed once, on first use. Internal; not part of the API.
 */
final class IptablesTool {

  /** An address family and its command names. */
  enum Family {
    IPV4("iptables", "IPv4"),
    IPV6("ip6tables", "IPv6");

    final String command;
    final String label;

    Family(String command, String label) {
      this.command = command;
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  private final Family family;
  private final CommandRunner runner;
  private final String iptables;
  private final String restore;
  private volatile IptablesVersion version;

  IptablesTool(Family family, TrafficOptions options, CommandRunner runner) {
    this.family = family;
    this.runner = runner;
    this.iptables = locate(family.command, options.iptablesDirectory());
    this.restore = locate(family.command + "-restore", options.iptablesDirectory());
  }

  Family family() {
    return family;
  }

  /** Returns the installed version, probing it with {@code --version} the first time. */
  IptablesVersion version() throws TrafficException {
    IptablesVersion v = version;
    if (v == null) {
      CommandRunner.Result r = runner.runChecked(List.of(iptables, "--version"), Optional.empty(), 0);
      try {
        v = IptablesVersion.parse(r.stdout() + " " + r.stderr());
      } catch (IllegalArgumentException e) {
        throw new TrafficException("cannot tell the " + family.command + " version: " + e.getMessage(), e,
            r.command(), OptionalInt.of(r.exitCode()), r.stderr(), false);
      }
      version = v;
    }
    return v;
  }

  /** Returns whether MASQUERADE accepts {@code --random-fully} (iptables 1.6.2 or later, as go-iptables decides). */
  boolean supportsRandomFully() throws TrafficException {
    return version().atLeast(IptablesVersion.WAIT_AND_RANDOM_FULLY);
  }

  /** Returns whether both binaries of this family ({@code iptables}, {@code iptables-restore}) are installed. */
  boolean installed() {
    return Files.isExecutable(Path.of(iptables)) && Files.isExecutable(Path.of(restore));
  }

  /** Returns every rule of {@code table} as {@code iptables -S} prints it ({@code -A CHAIN ...} lines only). */
  List<String> listRules(String table) throws TrafficException {
    String out = runner.runChecked(command("-t", table, "-S"), Optional.empty(), 0).stdout();
    return out.lines().filter(l -> l.startsWith("-A ")).toList();
  }

  /** Returns whether {@code chain} exists in {@code table} ({@code iptables -S CHAIN}: 0 yes, 1 no). */
  boolean chainExists(String table, String chain) throws TrafficException {
    return runner.runChecked(command("-t", table, "-S", chain), Optional.empty(), 0, 1).exitCode() == 0;
  }

  /** Returns whether {@code rule} exists ({@code iptables -C}: 0 yes, 1 no, anything else an error). */
  boolean exists(Rule rule) throws TrafficException {
    List<String> args = new ArrayList<>(List.of("-t", rule.table(), "-C", rule.chain()));
    args.addAll(rule.args());
    return runner.runChecked(command(args.toArray(String[]::new)), Optional.empty(), 0, 1).exitCode() == 0;
  }

  /** Feeds {@code payload} to {@code iptables-restore --noflush [--wait]}. */
  void restore(String payload) throws TrafficException {
    List<String> cmd = new ArrayList<>(List.of(restore, "--noflush"));
    if (hasWait()) {
      cmd.add("--wait");
    }
    runner.runChecked(cmd, Optional.of(payload), 0);
  }

  private List<String> command(String... args) throws TrafficException {
    List<String> cmd = new ArrayList<>();
    cmd.add(iptables);
    // Without --wait a concurrent kube-proxy holding the xtables lock makes the check fail; the
    // command timeout bounds the wait instead.
    if (hasWait()) {
      cmd.add("--wait");
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  private boolean hasWait() throws TrafficException {
    return version().atLeast(IptablesVersion.WAIT_AND_RANDOM_FULLY);
  }

  private static String locate(String name, Optional<Path> directory) {
    if (directory.isPresent()) {
      return directory.get().resolve(name).toString();
    }
    return CommandRunner.locate(name, directory).orElse(name);  // not found: running it reports the error
  }
}
