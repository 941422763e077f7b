/**
 * overlaynet's {@code wireguard} backend (in progress, issue 16): WireGuard implemented in Java
 * over a TUN device, so an encrypted overlay runs where the kernel has no WireGuard module, and
 * talks to any WireGuard peer (kernel or wireguard-go). Nothing is exported yet: the protocol's
 * building blocks live in {@code io.overlaynet.wireguard.internal}.
 */
module io.overlaynet.wireguard {
  requires transitive io.overlaynet.api;
  requires transitive io.overlaynet.netlink;
  requires org.slf4j;
}
