/**
 * The only native layer: rtnetlink (links, addresses, routes, neighbours, FDB, events), TUN
 * devices, UDP batch sockets and network namespaces, over jnr-ffi. Provides the kernel-backed
 * {@link io.overlaynet.agent.HostNetwork}.
 *
 * <p>The wire codec ({@code codec}) and the native plumbing ({@code internal}) are not exported.
 * {@code internal.ffi}, which holds nothing but the libc binding interface, is opened: jnr-ffi
 * generates the binding's implementation in a class loader of its own, and that class's unnamed
 * module must be able to implement the interface at run time. An open package is exported at run
 * time only, so consumers still cannot compile against it.
 */
module io.overlaynet.netlink {
  requires transitive io.overlaynet.api;
  requires com.google.common;
  requires org.slf4j;
  requires org.jnrproject.ffi;
  requires org.jnrproject.jffi;
  requires org.jnrproject.constants;
  // jnr-ffi is an automatic module and so declares no dependencies of its own: without these the
  // bytecode generator it needs at run time is not resolved on the module path.
  requires org.objectweb.asm;
  requires org.objectweb.asm.commons;
  requires org.objectweb.asm.tree;
  requires org.objectweb.asm.tree.analysis;
  requires org.objectweb.asm.util;

  exports io.overlaynet.netlink;
  exports io.overlaynet.netlink.testkit;
  // TUN offload helpers (segmentation, coalescing): for the userspace data paths, not an API.
  exports io.overlaynet.netlink.offload to io.overlaynet.udp, io.overlaynet.wireguard;
  opens io.overlaynet.netlink.internal.ffi;

  provides io.overlaynet.agent.HostNetwork with io.overlaynet.netlink.NetlinkHostNetwork;
}
