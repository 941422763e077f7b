/**
 * overlaynet's the {@code host-gw} backend: one route per peer subnet via the peer's public address, as flannel's. Found by {@code Backend.byType} through {@link io.overlaynet.BackendProvider}.
 */
module io.overlaynet.hostgw {
  requires transitive io.overlaynet.api;
  requires transitive io.overlaynet.netlink;
  requires com.google.common;
  requires org.slf4j;

  exports io.overlaynet.hostgw;

  provides io.overlaynet.BackendProvider with io.overlaynet.hostgw.HostGwBackendProvider;
}
