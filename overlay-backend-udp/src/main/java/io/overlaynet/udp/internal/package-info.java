/**
 * The udp backend's data path: packet logic, the peer table, GSO/GRO. The native calls (batched
 * socket I/O, TUN with a vnet header) come from overlay-netlink's {@code UdpSocket},
 * {@code TunDevice} and {@code Wakeup}. Internal usage only; nothing here is API.
 */
package io.overlaynet.udp.internal;
