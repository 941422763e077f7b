/**
 * overlaynet's the {@code udp} backend: a TUN device and userspace encapsulation on UDP port 8285, as flannel's. Found by {@code Backend.byType} through {@link io.overlaynet.BackendProvider}.
 */
module io.overlaynet.udp {
  requires transitive io.overlaynet.api;
  requires transitive io.overlaynet.netlink;
  requires com.google.common;
  requires org.slf4j;

  exports io.overlaynet.udp;

  provides io.overlaynet.BackendProvider with io.overlaynet.udp.UdpBackendProvider;
}
