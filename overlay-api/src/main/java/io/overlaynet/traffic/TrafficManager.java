package io.overlaynet.traffic;

/**
 * Installs and keeps flannel's firewall rules (flannel's {@code trafficmngr.TrafficManager}),
 * ip-masq and forward rules, in one of two modes ({@link TrafficMode}) chosen by the network
 * config's {@code EnableNFTables}:
 * <ul>
 *   <li>{@link #iptables} (the default): {@code nat FLANNEL-POSTRTG} and {@code filter FLANNEL-FWD},
 *       through {@code iptables-restore} and {@code ip6tables-restore};
 *   <li>{@link #nftables}: the tables {@code ip flannel-ipv4} and {@code ip6 flannel-ipv6}, each with
 *       a {@code postrtg} and a {@code forward} chain, through {@code nft -f} (Debian's
 *       {@code nftables} package).
 * </ul>
 *
 * <p>At start-up flanneld removes what the mode not in use left ({@link #removeRules()} of the
 * other implementation), so switching modes leaves nothing behind; the agent does the same.
 *
 * <p>Each {@code setup…} call installs its rules at once and then keeps them: every
 * {@link TrafficOptions#resyncPeriod()} a daemon thread checks each rule and, if any is missing,
 * re-installs the whole set in order (iptables), or lists the table as JSON and replaces the whole
 * table in one transaction if it differs (nftables). Calling a {@code setup…} method again for the same family
 * replaces that family's set. {@link #close()} stops the checking but leaves the rules in place, as
 * flanneld does on exit.
 *
 * <pre>{@code
 * TrafficMode mode = TrafficMode.of(config);
 * try (TrafficManager unused = TrafficManager.create(mode.other(), TrafficOptions.DEFAULT, TrafficListener.NONE)) {
 *   unused.removeRules();
 * }
 * try (TrafficManager tm = TrafficManager.create(mode, TrafficOptions.DEFAULT, TrafficListener.NONE)) {
 *   tm.setupMasqRules(MasqSpec.ipv4(network, lease, previous.network(), previous.subnet()));
 *   tm.setupForwardRules(ForwardSpec.ipv4(network));
 *   ... run the agent ...
 * }
 * }</pre>
 */
public interface TrafficManager extends AutoCloseable {

  /**
   * Returns the iptables implementation: it runs {@code iptables-restore --noflush},
   * {@code iptables -C} and their {@code ip6tables} twins, each bounded by
   * {@link TrafficOptions#commandTimeout()}. Nothing runs until the first {@code setup…} call.
   */
  static TrafficManager iptables(TrafficOptions options) {
    return new IptablesTrafficManager(options, TrafficListener.NONE);
  }

  /** Returns the iptables implementation, as {@link #iptables(TrafficOptions)}, telling {@code listener} of each resync. */
  static TrafficManager iptables(TrafficOptions options, TrafficListener listener) {
    return new IptablesTrafficManager(options, listener);
  }

  /**
   * Returns the nftables implementation ({@code "EnableNFTables": true}): it runs {@code nft -f -}
   * and {@code nft -j list table}, each bounded by {@link TrafficOptions#commandTimeout()}. Nothing
   * runs until the first call; the first {@code setup…} call creates both tables, as flanneld does.
   */
  static TrafficManager nftables(TrafficOptions options) {
    return new NftablesTrafficManager(options, TrafficListener.NONE);
  }

  /** Returns the nftables implementation, as {@link #nftables(TrafficOptions)}, telling {@code listener} of each resync. */
  static TrafficManager nftables(TrafficOptions options, TrafficListener listener) {
    return new NftablesTrafficManager(options, listener);
  }

  /** Returns the implementation of {@code mode}: {@link #iptables} or {@link #nftables}. */
  static TrafficManager create(TrafficMode mode, TrafficOptions options, TrafficListener listener) {
    return switch (mode) {
      case IPTABLES -> iptables(options, listener);
      case NFTABLES -> nftables(options, listener);
    };
  }

  /**
   * Recycles the rules of the previous run if its network or lease differ (per family), then
   * installs the masquerade rules of {@code spec} and keeps them until {@link #close()}. A family
   * is only kept if its installation succeeded.
   *
   * <p>nftables: the chain is flushed and refilled in the same transaction, which removes the
   * previous run's rules whatever they were.
   *
   * @throws TrafficException if a command fails or times out (the message carries its stderr), or
   *     {@code nft} is not installed (nftables; the message says what to install)
   * @throws IllegalStateException if the manager is closed
   */
  void setupMasqRules(MasqSpec spec) throws TrafficException;

  /**
   * Installs the forward rules of {@code spec} and keeps them until {@link #close()}. The FORWARD
   * policy is not changed (flanneld's log says it is, its code does not).
   *
   * @throws TrafficException if a command fails or times out (the message carries its stderr), or
   *     {@code nft} is not installed (nftables; the message says what to install)
   * @throws IllegalStateException if the manager is closed
   */
  void setupForwardRules(ForwardSpec spec) throws TrafficException;

  /**
   * Removes every rule, chain or table this mode installs, for both families, whether this
   * manager or an earlier run wrote them, and stops keeping what was set up (flannel's
   * {@code CleanUp}, which flanneld runs at start-up for the mode not in use). If this mode's
   * command is not installed there is nothing to remove and nothing runs.
   *
   * <p>iptables: the jumps to {@code FLANNEL-POSTRTG} and {@code FLANNEL-FWD} and both chains, in
   * {@code nat} and {@code filter}. nftables: the tables {@code ip flannel-ipv4} and
   * {@code ip6 flannel-ipv6}.
   *
   * @throws TrafficException if a command fails or times out
   * @throws IllegalStateException if the manager is closed
   */
  void removeRules() throws TrafficException;

  /**
   * Stops the resync thread promptly, killing a command it may be running; does not
   * remove any rule. Idempotent.
   */
  @Override
  void close();
}
