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
      new TrafficOptions(Duration.ofSeconds(5), true, Duration.ofSeconds(10), Optional.empty(), Optional.empty(),
          List.of());

  private final Duration resyncPeriod;
  private final boolean randomFully;
  private final Duration commandTimeout;
  private final Optional<Path> iptablesDirectory;
  private final Optional<Path> nftDirectory;
  private final List<String> commandPrefix;

  private TrafficOptions(Duration resyncPeriod, boolean randomFully, Duration commandTimeout,
      Optional<Path> iptablesDirectory, Optional<Path> nftDirectory, List<String> commandPrefix) {
    checkArgument(!resyncPeriod.isNegative() && !resyncPeriod.isZero(),
        "the resync period must be positive: %s", resyncPeriod);
    checkArgument(!commandTimeout.isNegative() && !commandTimeout.isZero(),
        "the command timeout must be positive: %s", commandTimeout);
    this.resyncPeriod = resyncPeriod;
    this.randomFully = randomFully;
    this.commandTimeout = commandTimeout;
    this.iptablesDirectory = Objects.requireNonNull(iptablesDirectory);
    this.nftDirectory = Objects.requireNonNull(nftDirectory);
    this.commandPrefix = List.copyOf(commandPrefix);
  }

  /** Returns how often the installed rules are checked and restored, default 5 s ({@code --iptables-resync}). */
  public Duration resyncPeriod() {
    return resyncPeriod;
  }

  /**
   * Returns whether MASQUERADE rules get {@code --random-fully} when the installed iptables
   * supports it (version 1.6.2 or later, probed once), and nftables masquerade statements
   * {@code fully-random} when {@code nft --check} accepts it (flannel's probe); default true. False
   * is flanneld's {@code --ip-masq-fully-random-disable}.
   */
  public boolean randomFully() {
    return randomFully;
  }

  /** Returns how long one iptables or nft command may run before it is killed, default 10 s. */
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
   * Returns the directory holding {@code nft} (nftables mode); empty (the default) searches
   * {@code PATH}, then {@code /usr/sbin} and {@code /sbin}.
   */
  public Optional<Path> nftDirectory() {
    return nftDirectory;
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
    return new TrafficOptions(period, randomFully, commandTimeout, iptablesDirectory, nftDirectory, commandPrefix);
  }

  /** Returns a copy that uses {@code --random-fully} when supported (true) or never (false). */
  public TrafficOptions withRandomFully(boolean enabled) {
    return new TrafficOptions(resyncPeriod, enabled, commandTimeout, iptablesDirectory, nftDirectory, commandPrefix);
  }

  /**
   * Returns a copy with this per-command timeout.
   *
   * @throws IllegalArgumentException if not positive
   */
  public TrafficOptions withCommandTimeout(Duration timeout) {
    return new TrafficOptions(resyncPeriod, randomFully, timeout, iptablesDirectory, nftDirectory, commandPrefix);
  }

  /** Returns a copy that runs the iptables binaries from {@code directory}. */
  public TrafficOptions withIptablesDirectory(Path directory) {
    return new TrafficOptions(resyncPeriod, randomFully, commandTimeout, Optional.of(directory), nftDirectory,
        commandPrefix);
  }

  /** Returns a copy that runs {@code nft} from {@code directory}. */
  public TrafficOptions withNftDirectory(Path directory) {
    return new TrafficOptions(resyncPeriod, randomFully, commandTimeout, iptablesDirectory, Optional.of(directory),
        commandPrefix);
  }

  /** Returns a copy that puts {@code prefix} before every command (empty for none). */
  public TrafficOptions withCommandPrefix(List<String> prefix) {
    return new TrafficOptions(resyncPeriod, randomFully, commandTimeout, iptablesDirectory, nftDirectory, prefix);
  }

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return DEFAULT.toBuilder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public String toString() {
    return "TrafficOptions{resyncPeriod=" + resyncPeriod + ", randomFully=" + randomFully + ", commandTimeout="
        + commandTimeout + ", iptablesDirectory=" + iptablesDirectory.map(Path::toString).orElse("PATH")
        + ", commandPrefix=" + commandPrefix + "}";
  }

  /** Builds {@link TrafficOptions}; every setter has the name of the copy method of the options. */
  public static final class Builder {
    private Duration resyncPeriod;
    private boolean randomFully;
    private Duration commandTimeout;
    private Optional<Path> iptablesDirectory;
    private Optional<Path> nftDirectory;
    private List<String> commandPrefix;

    private Builder(TrafficOptions o) {
      this.resyncPeriod = o.resyncPeriod;
      this.randomFully = o.randomFully;
      this.commandTimeout = o.commandTimeout;
      this.iptablesDirectory = o.iptablesDirectory;
      this.nftDirectory = o.nftDirectory;
      this.commandPrefix = o.commandPrefix;
    }

    /** See {@link TrafficOptions#withResyncPeriod}. */
    public Builder withResyncPeriod(Duration period) {
      this.resyncPeriod = Objects.requireNonNull(period, "period");
      return this;
    }

    /** See {@link TrafficOptions#withRandomFully}. */
    public Builder withRandomFully(boolean enabled) {
      this.randomFully = enabled;
      return this;
    }

    /** See {@link TrafficOptions#withCommandTimeout}. */
    public Builder withCommandTimeout(Duration timeout) {
      this.commandTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** See {@link TrafficOptions#withIptablesDirectory}. */
    public Builder withIptablesDirectory(Path directory) {
      this.iptablesDirectory = Optional.of(directory);
      return this;
    }

    /** Searches {@code PATH} for the iptables binaries again (the default). */
    public Builder withoutIptablesDirectory() {
      this.iptablesDirectory = Optional.empty();
      return this;
    }

    /** See {@link TrafficOptions#withNftDirectory}. */
    public Builder withNftDirectory(Path directory) {
      this.nftDirectory = Optional.of(directory);
      return this;
    }

    /** Searches {@code PATH} for {@code nft} again (the default). */
    public Builder withoutNftDirectory() {
      this.nftDirectory = Optional.empty();
      return this;
    }

    /** See {@link TrafficOptions#withCommandPrefix}. */
    public Builder withCommandPrefix(List<String> prefix) {
      this.commandPrefix = List.copyOf(prefix);
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException if a value is out of range (the message names it)
     */
    public TrafficOptions build() {
      return new TrafficOptions(resyncPeriod, randomFully, commandTimeout, iptablesDirectory, nftDirectory,
          commandPrefix);
    }
  }
}
