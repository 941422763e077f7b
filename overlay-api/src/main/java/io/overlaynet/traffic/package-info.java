/**
 * flannel's firewall rules: ip-masq ({@code nat FLANNEL-POSTRTG}) and forward
 * ({@code filter FLANNEL-FWD}) rules, rendered exactly as flanneld renders them and kept in place
 * by a resync loop.
 *
 * <p>{@link io.overlaynet.traffic.IptablesRules} is the pure rendering layer;
 * {@link io.overlaynet.traffic.TrafficManager#iptables} applies the rules by running
 * {@code iptables-restore --noflush}, {@code iptables -C} and their IPv6 twins as external
 * processes, each bounded by a timeout, as flanneld does (no Java library drives iptables well).
 */
package io.overlaynet.traffic;
