/**
 * The udp backend: TUN device {@code flannel0} and userspace encapsulation, one raw IPv4 packet
 * per UDP datagram on port 8285, wire-compatible with flanneld's udp backend.
 *
 * <p>{@link io.overlaynet.udp.UdpBackend} registers it (also found as {@code Backend.byType("udp")});
 * the resulting {@link io.overlaynet.udp.UdpNetwork} exposes {@link io.overlaynet.udp.UdpStats},
 * including drops by {@link io.overlaynet.udp.DropReason}. Beyond flannel: longest-prefix match,
 * anti-spoofing (datagrams only from current peers, inner source inside the sender's subnet,
 * inner destination inside this node's subnet), batched system calls and TUN offloads with UDP
 * GSO/GRO, on by default ({@link io.overlaynet.udp.UdpOptions}); none of it changes the wire.
 */
package io.overlaynet.udp;
