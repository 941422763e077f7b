/**
 * overlaynet's the {@code vxlan} backend: the kernel VXLAN devices {@code flannel.VNI} (IPv4) and {@code flannel-v6.VNI} (IPv6) with neighbour and FDB entries per peer, as flannel's. Found by {@code Backend.byType} through {@link io.overlaynet.BackendProvider}.
 */
module io.overlaynet.vxlan {
  requires transitive io.overlaynet.api;
  requires transitive io.overlaynet.netlink;
  requires com.google.common;
  requires com.google.gson;
  requires org.slf4j;

  exports io.overlaynet.vxlan;

  provides io.overlaynet.BackendProvider with io.overlaynet.vxlan.VxlanBackendProvider;
}
