package io.overlaynet.udp;

/**
 * Why the udp backend dropped a packet. Counted per reason in {@link UdpStats}.
 *
 * <p>The first group is about datagrams received on the UDP port (anti-spoofing and malformed
 * input, beyond what flanneld checks); the second about packets read from the TUN device; the
 * last about the kernel refusing a packet.
 *
 * <pre>{@code
 * long spoofed = network.stats().drops(DropReason.SPOOFED_SOURCE);
 * }</pre>
 */
public enum DropReason {
  /** A datagram shorter than an IPv4 header (20 bytes). */
  TOO_SHORT,
  /** A datagram whose IP version is not 4. */
  BAD_VERSION,
  /** A datagram whose IPv4 header length is below 20 bytes or beyond the datagram. */
  BAD_HEADER_LENGTH,
  /** A datagram whose IPv4 total length differs from its size (or that was truncated). */
  BAD_TOTAL_LENGTH,
  /** A datagram whose IPv4 header checksum is wrong. */
  BAD_CHECKSUM,
  /** A datagram from an address that is not the public IP of any current peer. */
  UNKNOWN_PEER,
  /** A datagram from a peer whose inner source address is outside that peer's subnet. */
  SPOOFED_SOURCE,
  /** A datagram whose inner destination is outside this node's subnet (it would be relayed). */
  WRONG_DESTINATION,
  /** A packet whose TTL reached 0 on either leg (flannel drops these too, without ICMP). */
  TTL_EXPIRED,
  /**
   * A packet read from the TUN device for which no peer's subnet matches; an ICMP net
   * unreachable goes back to the sender when allowed.
   */
  NO_ROUTE,
  /**
   * A packet read from the TUN device that is not a well-formed IPv4 packet (e.g. the IPv6 router
   * solicitations the kernel sends on any new device), or an offload packet of a kind the data
   * path does not segment.
   */
  TUN_MALFORMED,
  /** The UDP send failed (e.g. no route to the peer's public IP). */
  SEND_FAILED,
  /** Writing a received packet into the TUN device failed. */
  TUN_WRITE_FAILED
}
