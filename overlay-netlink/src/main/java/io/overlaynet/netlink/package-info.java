/**
 * rtnetlink, TUN devices and network namespaces for the JVM, with verbs that mirror iproute2.
 *
 * <p>Entry points: {@link io.overlaynet.netlink.NetlinkHandle} (links, addresses, routes,
 * neighbours, bridge FDB, subscriptions), {@link io.overlaynet.netlink.NetNs},
 * {@link io.overlaynet.netlink.TunDevice}, {@link io.overlaynet.netlink.Sysctl} and the
 * capability probes in {@link io.overlaynet.netlink.Netlink}. For batching userspace data paths:
 * {@link io.overlaynet.netlink.UdpSocket} with {@link io.overlaynet.netlink.UdpBatch}
 * ({@code sendmmsg}/{@code recvmmsg}, UDP GSO/GRO), {@link io.overlaynet.netlink.TunDevice}'s
 * non-blocking reads and gather writes, and {@link io.overlaynet.netlink.Wakeup}; they take
 * direct {@code ByteBuffer}s, never native addresses. The wire codec is in
 * {@code io.overlaynet.netlink.codec}; {@code io.overlaynet.netlink.internal} is not API (it
 * holds the libc binding and the C struct layouts, {@code NativeLayout}).
 */
package io.overlaynet.netlink;
