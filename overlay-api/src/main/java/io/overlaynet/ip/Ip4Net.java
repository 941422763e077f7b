package io.overlaynet.ip;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * An immutable IPv4 network: a network address and a prefix length (flannel's {@code ip.IP4Net}).
 *
 * <p>The address always has its host bits cleared, so {@code 10.5.72.1/24} parses to
 * {@code 10.5.72.0/24}, as Go's {@code net.ParseCIDR} does.
 *
 * <pre>{@code
 * Ip4Net net = Ip4Net.parse("10.5.0.0/16");
 * Ip4Net first = Ip4Net.of(net.address(), 24).next();   // 10.5.1.0/24
 * net.contains(first);                                  // true
 * }</pre>
 */
public final class Ip4Net implements IpNet, Comparable<Ip4Net> {

  /** The empty network {@code 0.0.0.0/0}, which flannel treats as "not set". */
  public static final Ip4Net EMPTY = new Ip4Net(Ip4.ANY, 0);

  private final Ip4 address;
  private final int prefixLength;

  private Ip4Net(Ip4 address, int prefixLength) {
    this.address = address;
    this.prefixLength = prefixLength;
  }

  /**
   * Returns the network of {@code ip} with {@code prefixLength} bits; host bits are cleared.
   *
   * @throws IllegalArgumentException if {@code prefixLength} is not in 0..32
   */
  public static Ip4Net of(Ip4 ip, int prefixLength) {
    checkArgument(prefixLength >= 0 && prefixLength <= 32, "IPv4 prefix length out of range: %s", prefixLength);
    return new Ip4Net(Ip4.of(ip.toInt() & mask(prefixLength)), prefixLength);
  }

  /**
   * Parses {@code a.b.c.d/n}; host bits are cleared.
   *
   * @throws IllegalArgumentException if {@code text} is not an IPv4 CIDR
   */
  public static Ip4Net parse(String text) {
    checkArgument(text != null, "invalid IPv4 CIDR: null");
    int slash = text.indexOf('/');
    checkArgument(slash > 0, "invalid IPv4 CIDR: %s", text);
    Ip4 ip;
    int len;
    try {
      ip = Ip4.parse(text.substring(0, slash));
      len = parsePrefix(text.substring(slash + 1), 32);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid IPv4 CIDR: " + text, e);
    }
    return of(ip, len);
  }

  static int parsePrefix(String digits, int max) {
    checkArgument(!digits.isEmpty() && digits.length() <= 3 && digits.chars().allMatch(Character::isDigit),
        "invalid prefix length: %s", digits);
    int len = Integer.parseInt(digits);
    checkArgument(len <= max, "prefix length out of range: %s", len);
    return len;
  }

  private static int mask(int prefixLength) {
    return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
  }

  @Override
  public Ip4 address() {
    return address;
  }

  @Override
  public int prefixLength() {
    return prefixLength;
  }

  /** Returns the netmask, e.g. {@code 255.255.255.0} for a /24. */
  public Ip4 netmask() {
    return Ip4.of(mask(prefixLength));
  }

  /** Returns the number of addresses in the network, 1..2^32. */
  public long size() {
    return 1L << (32 - prefixLength);
  }

  /** Returns the last address of the network (its broadcast address). */
  public Ip4 lastAddress() {
    return address.plus(size() - 1);
  }

  /** Returns whether this is {@code 0.0.0.0/0}, flannel's "empty". */
  public boolean isEmpty() {
    return address.isUnspecified() && prefixLength == 0;
  }

  /** Returns the following network of the same size (flannel's {@code IP4Net.Next}); wraps at 2^32. */
  public Ip4Net next() {
    return new Ip4Net(address.plus(size()), prefixLength);
  }

  /** Returns whether {@code ip} lies in this network. */
  public boolean contains(Ip4 ip) {
    return (ip.toInt() & mask(prefixLength)) == address.toInt();
  }

  /** Returns whether all of {@code other} lies in this network. */
  public boolean contains(Ip4Net other) {
    return other.prefixLength >= prefixLength && contains(other.address);
  }

  @Override
  public boolean containsAddress(IpAddress ip) {
    return ip instanceof Ip4 ip4 && contains(ip4);
  }

  /** Returns whether the two networks share at least one address. */
  public boolean overlaps(Ip4Net other) {
    return contains(other.address) || other.contains(address);
  }

  @Override
  public int compareTo(Ip4Net other) {
    int c = address.compareTo(other.address);
    return c != 0 ? c : Integer.compare(prefixLength, other.prefixLength);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ip4Net other && other.address.equals(address) && other.prefixLength == prefixLength;
  }

  @Override
  public int hashCode() {
    return address.hashCode() * 31 + prefixLength;
  }

  /** Returns {@code a.b.c.d/n}, which {@link #parse} accepts. */
  @Override
  public String toString() {
    return address + "/" + prefixLength;
  }
}
