/**
 * flannel's firewall rules: ip-masq and forward rules, rendered exactly as flanneld renders them
 * and kept in place by a resync loop, in either of flannel's modes ({@link io.overlaynet.traffic.TrafficMode},
 * the network config's {@code EnableNFTables}).
 *
 * <p>iptables (the default): {@link io.overlaynet.traffic.IptablesRules} is the pure rendering of
 * {@code nat FLANNEL-POSTRTG} and {@code filter FLANNEL-FWD}; {@link io.overlaynet.traffic.TrafficManager#iptables}
 * applies them by running {@code iptables-restore --noflush}, {@code iptables -C} and their IPv6
 * twins. nftables: {@link io.overlaynet.traffic.NftablesRules} renders the tables
 * {@code ip flannel-ipv4} and {@code ip6 flannel-ipv6}; {@link io.overlaynet.traffic.TrafficManager#nftables}
 * applies them with {@code nft -f} and checks them with {@code nft -j list table}. Every command is
 * an external process bounded by a timeout, as flanneld does (no Java library drives either well).
 * {@link io.overlaynet.traffic.TrafficManager#removeRules()} removes what a mode left, which the
 * agent does at start-up for the mode not in use.
 */
package io.overlaynet.traffic;
