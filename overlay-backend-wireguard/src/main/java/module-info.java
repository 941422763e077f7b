/**
 * overlaynet's {@code wireguard} backend: WireGuard implemented in Java
 * over a TUN device, so an encrypted overlay runs where the kernel has no WireGuard module, and
 * talks to any WireGuard peer (kernel or wireguard-go). Found by {@code Backend.byType} through
 * {@link io.overlaynet.BackendProvider}. The protocol lives in the closed package
 * {@code io.overlaynet.wireguard.internal}.
 */
module io.overlaynet.wireguard {
  requires transitive io.overlaynet.api;
  requires transitive io.overlaynet.netlink;
  requires com.google.gson;
  requires org.slf4j;

  exports io.overlaynet.wireguard;

  provides io.overlaynet.BackendProvider with io.overlaynet.wireguard.WireGuardBackendProvider;
}
