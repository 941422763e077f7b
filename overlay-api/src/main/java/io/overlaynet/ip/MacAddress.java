package io.overlaynet.ip;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/**
 * An immutable 48-bit Ethernet MAC address, written as lower-case colon hex
 * ({@code d2:65:d5:8b:00:6f}), the form flannel stores as {@code VtepMAC}.
 *
 * <pre>{@code
 * MacAddress mac = MacAddress.parse("D2:65:D5:8B:00:6F");
 * mac.toString();   // "d2:65:d5:8b:00:6f"
 * }</pre>
 */
public final class MacAddress {

  private static final HexFormat HEX = HexFormat.ofDelimiter(":");

  private final byte[] bytes;

  private MacAddress(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Parses six colon-separated hex octets (either case).
   *
   * @throws IllegalArgumentException if {@code text} is not such a MAC address
   */
  public static MacAddress parse(String text) {
    checkArgument(text != null && text.length() == 17, "invalid MAC address: %s", text);
    try {
      return new MacAddress(HEX.parseHex(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid MAC address: " + text, e);
    }
  }

  /**
   * Wraps 6 bytes (copied).
   *
   * @throws IllegalArgumentException if {@code bytes} is not 6 long
   */
  public static MacAddress fromBytes(byte[] bytes) {
    checkArgument(bytes.length == 6, "a MAC address has 6 bytes, not %s", bytes.length);
    return new MacAddress(bytes.clone());
  }

  /**
   * Returns a random locally administered unicast address, as flannel's {@code mac.NewHardwareAddr}:
   * a stable MAC that no vendor assigns.
   */
  public static MacAddress randomLocallyAdministered(Random random) {
    byte[] b = new byte[6];
    random.nextBytes(b);
    b[0] = (byte) ((b[0] & 0xfe) | 0x02);
    return new MacAddress(b);
  }

  /** Returns a copy of the 6 bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Returns whether the locally administered bit is set. */
  public boolean isLocallyAdministered() {
    return (bytes[0] & 0x02) != 0;
  }

  /** Returns whether the multicast (group) bit is set. */
  public boolean isMulticast() {
    return (bytes[0] & 0x01) != 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MacAddress other && Arrays.equals(other.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Returns lower-case colon hex, which {@link #parse} accepts. */
  @Override
  public String toString() {
    return HEX.formatHex(bytes);
  }
}
