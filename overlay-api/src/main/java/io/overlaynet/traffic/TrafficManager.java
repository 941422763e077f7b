package io.overlaynet.traffic;

/**
 * Installs and keeps flannel's firewall rules (flannel's {@code trafficmngr.TrafficManager}):
 * ip-masq rules in {@code nat FLANNEL-POSTRTG} and forward rules in {@code filter FLANNEL-FWD}.
 *
 * <p>Each {@code setup…} call installs its rules at once and then keeps them: every
 * {@link TrafficOptions#resyncPeriod()} a daemon thread checks each rule and, if any is missing,
 * re-installs the whole set in order. Calling a {@code setup…} method again for the same family
 * replaces that family's set. {@link #close()} stops the checking but leaves the rules in place, as
 * flanneld does on exit.
 *
 * <pre>{@code
 * try (TrafficManager tm = TrafficManager.iptables(TrafficOptions.DEFAULT)) {
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
   * Recycles the rules of the previous run if its network or lease differ (per family), then
   * installs the masquerade rules of {@code spec} and keeps them until {@link #close()}. A family
   * is only kept if its installation succeeded.
   *
   * @throws TrafficException if an iptables command fails or times out (the message carries its stderr)
   * @throws IllegalStateException if the manager is closed
   */
  void setupMasqRules(MasqSpec spec) throws TrafficException;

  /**
   * Installs the forward rules of {@code spec} and keeps them until {@link #close()}. The FORWARD
   * policy is not changed (flanneld's log says it is, its code does not).
   *
   * @throws TrafficException if an iptables command fails or times out (the message carries its stderr)
   * @throws IllegalStateException if the manager is closed
   */
  void setupForwardRules(ForwardSpec spec) throws TrafficException;

  /**
   * Stops the resync thread promptly, killing an iptables command it may be running; does not
   * remove any rule. Idempotent.
   */
  @Override
  void close();
}
