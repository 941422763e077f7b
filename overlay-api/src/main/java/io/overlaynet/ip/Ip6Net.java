package io.overlaynet.ip;

import static com.google.common.base.Preconditions.checkArgument;

import java.math.BigInteger;

/**
 * An immutable IPv6 network: a network address and a prefix length (flannel's {@code ip.IP6Net}).
 *
 * <pre>{@code
 * Ip6Net net = Ip6Net.parse("fc00::/48");
 * Ip6Net.of(net.address(), 64).next();   // fc00:0:0:1::/64
 * }</pre>
 */
public final class Ip6Net implements IpNet, Comparable<Ip6Net> {

  /** The empty network {@code ::/0}, which flannel treats as "not set". */
  public static final Ip6Net EMPTY = new Ip6Net(Ip6.ANY, 0);

  private final Ip6 address;
  private final int prefixLength;

  private Ip6Net(Ip6 address, int prefixLength) {
    this.address = address;
    this.prefixLength = prefixLength;
  }

  /**
   * Returns the network of {@code ip} with {@code prefixLength} bits; host bits are cleared.
   *
   * @throws IllegalArgumentException if {@code prefixLength} is not in 0..128
   */
  public static Ip6Net of(Ip6 ip, int prefixLength) {
    checkArgument(prefixLength >= 0 && prefixLength <= 128, "IPv6 prefix length out of range: %s", prefixLength);
    return new Ip6Net(Ip6.of(ip.high() & highMask(prefixLength), ip.low() & lowMask(prefixLength)), prefixLength);
  }

  /**
   * Parses {@code v6/n}; host bits are cleared.
   *
   * @throws IllegalArgumentException if {@code text} is not an IPv6 CIDR
   */
  public static Ip6Net parse(String text) {
    checkArgument(text != null, "invalid IPv6 CIDR: null");
    int slash = text.indexOf('/');
    checkArgument(slash > 0, "invalid IPv6 CIDR: %s", text);
    try {
      return of(Ip6.parse(text.substring(0, slash)), Ip4Net.parsePrefix(text.substring(slash + 1), 128));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid IPv6 CIDR: " + text, e);
    }
  }

  private static long highMask(int len) {
    return len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
  }

  private static long lowMask(int len) {
    return len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
  }

  @Override
  public Ip6 address() {
    return address;
  }

  @Override
  public int prefixLength() {
    return prefixLength;
  }

  /** Returns the number of addresses, 2^(128-prefix). */
  public BigInteger size() {
    return BigInteger.ONE.shiftLeft(128 - prefixLength);
  }

  /** Returns whether this is {@code ::/0}, flannel's "empty". */
  public boolean isEmpty() {
    return address.isUnspecified() && prefixLength == 0;
  }

  /** Returns the following network of the same size; wraps at 2^128. */
  public Ip6Net next() {
    return new Ip6Net(address.plus(size()), prefixLength);
  }

  /** Returns whether {@code ip} lies in this network. */
  public boolean contains(Ip6 ip) {
    return (ip.high() & highMask(prefixLength)) == address.high()
        && (ip.low() & lowMask(prefixLength)) == address.low();
  }

  /** Returns whether all of {@code other} lies in this network. */
  public boolean contains(Ip6Net other) {
    return other.prefixLength >= prefixLength && contains(other.address);
  }

  @Override
  public boolean containsAddress(IpAddress ip) {
    return ip instanceof Ip6 ip6 && contains(ip6);
  }

  /** Returns whether the two networks share at least one address. */
  public boolean overlaps(Ip6Net other) {
    return contains(other.address) || other.contains(address);
  }

  @Override
  public int compareTo(Ip6Net other) {
    int c = address.compareTo(other.address);
    return c != 0 ? c : Integer.compare(prefixLength, other.prefixLength);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ip6Net other && other.address.equals(address) && other.prefixLength == prefixLength;
  }

  @Override
  public int hashCode() {
    return address.hashCode() * 31 + prefixLength;
  }

  /** Returns {@code v6/n} in compressed form, which {@link #parse} accepts. */
  @Override
  public String toString() {
    return address + "/" + prefixLength;
  }
}
