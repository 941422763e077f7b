/**
 * The udp backend: TUN device {@code flannel0} and userspace encapsulation, one raw IPv4 packet
 * per UDP datagram on port 8285, wire-compatible with flanneld's udp backend.
 */
package io.overlaynet.udp;
