package io.overlaynet.ip;

/**
 * An IPv4 or IPv6 network (CIDR): the common view of {@link Ip4Net} and {@link Ip6Net}.
 *
 * <pre>{@code
 * IpNet n = IpNet.parse("10.5.0.0/16");
 * n.address();       // 10.5.0.0
 * n.prefixLength();  // 16
 * }</pre>
 */
public sealed interface IpNet permits Ip4Net, Ip6Net {

  /** Returns the network address (host bits are always zero). */
  IpAddress address();

  /** Returns the prefix length, 0..32 or 0..128. */
  int prefixLength();

  /** Returns whether {@code ip} lies in this network; false for the other family. */
  boolean containsAddress(IpAddress ip);

  /**
   * Parses {@code a.b.c.d/n} or {@code v6/n}; host bits are masked off, as Go's {@code net.ParseCIDR}.
   *
   * @throws IllegalArgumentException if {@code text} is not a CIDR
   */
  static IpNet parse(String text) {
    return text != null && text.indexOf(':') >= 0 ? Ip6Net.parse(text) : Ip4Net.parse(text);
  }

  /**
   * Makes the network of {@code address} with {@code prefixLength} bits (host bits masked off).
   *
   * @throws IllegalArgumentException if the prefix length does not fit the family
   */
  static IpNet of(IpAddress address, int prefixLength) {
    if (address instanceof Ip4 ip4) {
      return Ip4Net.of(ip4, prefixLength);
    }
    return Ip6Net.of((Ip6) address, prefixLength);
  }
}
