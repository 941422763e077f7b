package io.overlaynet.ip;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An immutable IPv4 address, held as an unsigned 32-bit value (flannel's {@code ip.IP4}).
 *
 * <pre>{@code
 * Ip4 a = Ip4.parse("10.5.2.0");
 * a.plus(1);          // 10.5.2.1
 * a.toString();       // "10.5.2.0", which parse() accepts
 * }</pre>
 */
public final class Ip4 implements IpAddress, Comparable<Ip4> {

  /** The unspecified address {@code 0.0.0.0}. */
  public static final Ip4 ANY = new Ip4(0);

  private final int value;

  private Ip4(int value) {
    this.value = value;
  }

  /** Returns the address whose 32 bits, most significant first, are {@code value}. */
  public static Ip4 of(int value) {
    return value == 0 ? ANY : new Ip4(value);
  }

  /**
   * Returns the address of four octets, each 0..255.
   *
   * @throws IllegalArgumentException if an octet is out of range
   */
  public static Ip4 of(int a, int b, int c, int d) {
    for (int o : new int[] {a, b, c, d}) {
      checkArgument(o >= 0 && o <= 255, "IPv4 octet out of range: %s", o);
    }
    return of((a << 24) | (b << 16) | (c << 8) | d);
  }

  /**
   * Parses a dotted-quad literal; never resolves names.
   *
   * @throws IllegalArgumentException if {@code text} is not an IPv4 literal
   */
  public static Ip4 parse(String text) {
    checkArgument(text != null, "invalid IPv4 address: null");
    InetAddress address;
    try {
      address = InetAddresses.forString(text.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid IPv4 address: " + text, e);
    }
    checkArgument(address instanceof Inet4Address && text.indexOf(':') < 0,
        "invalid IPv4 address: %s", text);
    return fromBytes(address.getAddress());
  }

  /**
   * Converts 4 network-order bytes.
   *
   * @throws IllegalArgumentException if {@code bytes} is not 4 long
   */
  public static Ip4 fromBytes(byte[] bytes) {
    checkArgument(bytes.length == 4, "an IPv4 address has 4 bytes, not %s", bytes.length);
    return of(((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16)
        | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff));
  }

  /** Returns the 32 bits of the address. */
  public int toInt() {
    return value;
  }

  /** Returns the address as an unsigned value, 0..2^32-1. */
  public long toUnsignedLong() {
    return Integer.toUnsignedLong(value);
  }

  /** Returns this address plus {@code n}, wrapping modulo 2^32 (flannel's {@code IP4 + n}). */
  public Ip4 plus(long n) {
    return of((int) (toUnsignedLong() + n));
  }

  /** Returns whether this is {@code 0.0.0.0}. */
  public boolean isUnspecified() {
    return value == 0;
  }

  @Override
  public byte[] toBytes() {
    return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
  }

  @Override
  public int bitLength() {
    return 32;
  }

  @Override
  public Inet4Address toInetAddress() {
    try {
      return (Inet4Address) InetAddress.getByAddress(toBytes());
    } catch (UnknownHostException e) {
      throw new AssertionError("4 bytes are always a valid address", e);
    }
  }

  @Override
  public int compareTo(Ip4 other) {
    return Integer.compareUnsigned(value, other.value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ip4 other && other.value == value;
  }

  @Override
  public int hashCode() {
    return value;
  }

  /** Returns the dotted-quad form, e.g. {@code 10.5.2.0}. */
  @Override
  public String toString() {
    return (value >>> 24) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
  }
}
