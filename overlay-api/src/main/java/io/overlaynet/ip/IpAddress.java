package io.overlaynet.ip;

import java.net.InetAddress;

/**
 * An IPv4 or IPv6 address: the common view of {@link Ip4} and {@link Ip6}.
 *
 * <p>Code that handles both families (routes, neighbours, the netlink codec) takes this type;
 * code that is about one family takes the concrete class.
 *
 * <pre>{@code
 * IpAddress a = IpAddress.parse("192.0.2.11");   // an Ip4
 * IpAddress b = IpAddress.parse("fd00::1");      // an Ip6
 * }</pre>
 */
public sealed interface IpAddress permits Ip4, Ip6 {

  /** Returns the address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
  byte[] toBytes();

  /** Returns 32 or 128. */
  int bitLength();

  /** Returns the equivalent {@link InetAddress}, without any name lookup. */
  InetAddress toInetAddress();

  /**
   * Parses an IPv4 or IPv6 literal; never resolves names.
   *
   * @throws IllegalArgumentException if {@code text} is not an IP literal
   */
  static IpAddress parse(String text) {
    return text != null && text.indexOf(':') >= 0 ? Ip6.parse(text) : Ip4.parse(text);
  }

  /**
   * Converts network-order bytes (4 or 16) to an address.
   *
   * @throws IllegalArgumentException if the length is neither 4 nor 16
   */
  static IpAddress fromBytes(byte[] bytes) {
    if (bytes.length == 4) {
      return Ip4.fromBytes(bytes);
    }
    if (bytes.length == 16) {
      return Ip6.fromBytes(bytes);
    }
    throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + bytes.length);
  }

  /** Converts an {@link InetAddress} (v4 or v6) without a name lookup. */
  static IpAddress of(InetAddress address) {
    return fromBytes(address.getAddress());
  }
}
