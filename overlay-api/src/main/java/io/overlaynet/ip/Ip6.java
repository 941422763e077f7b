package io.overlaynet.ip;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.net.InetAddresses;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An immutable IPv6 address, held as two unsigned 64-bit halves (flannel's {@code ip.IP6}).
 *
 * <p>{@link #toString()} is the compressed lower-case form (RFC 5952), which is what Go's
 * {@code net.IP.String()} writes into flannel's subnet keys, e.g. {@code fd00:12:13::}.
 *
 * <pre>{@code
 * Ip6 a = Ip6.parse("fd00::");
 * a.plus(BigInteger.ONE);   // fd00::1
 * }</pre>
 */
public final class Ip6 implements IpAddress, Comparable<Ip6> {

  /** The unspecified address {@code ::}. */
  public static final Ip6 ANY = new Ip6(0, 0);

  private static final BigInteger TWO_128 = BigInteger.ONE.shiftLeft(128);

  private final long high;
  private final long low;

  private Ip6(long high, long low) {
    this.high = high;
    this.low = low;
  }

  /** Returns the address with these two 64-bit halves, most significant first. */
  public static Ip6 of(long high, long low) {
    return high == 0 && low == 0 ? ANY : new Ip6(high, low);
  }

  /**
   * Parses an IPv6 literal; never resolves names.
   *
   * @throws IllegalArgumentException if {@code text} is not an IPv6 literal
   */
  public static Ip6 parse(String text) {
    checkArgument(text != null, "invalid IPv6 address: null");
    byte[] bytes;
    try {
      bytes = InetAddresses.forString(text.trim()).getAddress();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid IPv6 address: " + text, e);
    }
    checkArgument(text.indexOf(':') >= 0, "invalid IPv6 address: %s", text);
    if (bytes.length == 4) {
      // An IPv4-mapped literal (::ffff:a.b.c.d): the JDK hands it back as IPv4; keep it IPv6.
      return of(0, 0xffff00000000L | (((long) (bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16)
          | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff)));
    }
    return fromBytes(bytes);
  }

  /**
   * Converts 16 network-order bytes.
   *
   * @throws IllegalArgumentException if {@code bytes} is not 16 long
   */
  public static Ip6 fromBytes(byte[] bytes) {
    checkArgument(bytes.length == 16, "an IPv6 address has 16 bytes, not %s", bytes.length);
    long h = 0;
    long l = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (bytes[i] & 0xff);
      l = (l << 8) | (bytes[i + 8] & 0xff);
    }
    return of(h, l);
  }

  /** Converts an unsigned value in 0..2^128-1, wrapping modulo 2^128. */
  public static Ip6 fromBigInteger(BigInteger value) {
    BigInteger v = value.mod(TWO_128);
    return of(v.shiftRight(64).longValue(), v.longValue());
  }

  /** Returns the upper 64 bits. */
  public long high() {
    return high;
  }

  /** Returns the lower 64 bits. */
  public long low() {
    return low;
  }

  /** Returns the address as an unsigned value. */
  public BigInteger toBigInteger() {
    return new BigInteger(1, toBytes());
  }

  /** Returns this address plus {@code n}, wrapping modulo 2^128. */
  public Ip6 plus(BigInteger n) {
    return fromBigInteger(toBigInteger().add(n));
  }

  /** Returns this address plus {@code n}, wrapping modulo 2^128. */
  public Ip6 plus(long n) {
    return plus(BigInteger.valueOf(n));
  }

  /** Returns whether this is {@code ::}. */
  public boolean isUnspecified() {
    return high == 0 && low == 0;
  }

  @Override
  public byte[] toBytes() {
    byte[] b = new byte[16];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (high >>> (56 - 8 * i));
      b[i + 8] = (byte) (low >>> (56 - 8 * i));
    }
    return b;
  }

  @Override
  public int bitLength() {
    return 128;
  }

  @Override
  public Inet6Address toInetAddress() {
    try {
      return Inet6Address.getByAddress(null, toBytes(), -1);
    } catch (UnknownHostException e) {
      throw new AssertionError("16 bytes are always a valid address", e);
    }
  }

  @Override
  public int compareTo(Ip6 other) {
    int c = Long.compareUnsigned(high, other.high);
    return c != 0 ? c : Long.compareUnsigned(low, other.low);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ip6 other && other.high == high && other.low == low;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(high) * 31 + Long.hashCode(low);
  }

  /** Returns the compressed lower-case form, e.g. {@code fd00:12:13::}, which {@link #parse} accepts. */
  @Override
  public String toString() {
    try {
      // InetAddress.getByAddress would turn a v4-mapped address into an Inet4Address; build a v6 one.
      return InetAddresses.toAddrString(Inet6Address.getByAddress(null, toBytes(), -1));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

}
