package io.overlaynet.traffic;

import io.overlaynet.NetworkConfig;

/**
 * Which firewall a {@link TrafficManager} writes: flannel's iptables chains or, with
 * {@code "EnableNFTables": true} in the network config, its nftables tables.
 *
 * <pre>{@code
 * TrafficMode mode = TrafficMode.of(config);                 // EnableNFTables
 * try (TrafficManager unused = TrafficManager.create(mode.other(), options, TrafficListener.NONE)) {
 *   unused.removeRules();                                    // what a run in the other mode left
 * }
 * TrafficManager tm = TrafficManager.create(mode, options, listener);
 * }</pre>
 */
public enum TrafficMode {
  /** {@code nat FLANNEL-POSTRTG} and {@code filter FLANNEL-FWD}, through iptables and ip6tables (flannel's default). */
  IPTABLES,
  /** Tables {@code ip flannel-ipv4} and {@code ip6 flannel-ipv6}, through {@code nft} ({@code EnableNFTables}). */
  NFTABLES;

  /** Returns the mode {@code config} asks for: {@link #NFTABLES} exactly when it has {@code "EnableNFTables": true}. */
  public static TrafficMode of(NetworkConfig config) {
    return config.enableNftables() ? NFTABLES : IPTABLES;
  }

  /** Returns the other mode, whose rules flanneld removes at start-up. */
  public TrafficMode other() {
    return this == IPTABLES ? NFTABLES : IPTABLES;
  }
}
