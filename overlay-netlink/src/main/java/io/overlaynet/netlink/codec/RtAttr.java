package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@code struct rtattr} / {@code struct nlattr}: a 4-byte header (u16 length, u16 type) and a
 * payload, padded to 4 bytes. Immutable; the payload is copied in and out.
 *
 * <pre>{@code
 * RtAttr.ofU32(IFLA_MTU, 1450).encodeTo(buf);
 * RtAttr a = RtAttr.decode(buf);   // a.type() == IFLA_MTU, a.u32() == 1450
 * }</pre>
 */
public final class RtAttr {

  /** Size of the attribute header. */
  public static final int HEADER_SIZE = 4;

  private final int type;
  private final byte[] value;

  private RtAttr(int type, byte[] value) {
    this.type = type;
    this.value = value;
  }

  /**
   * Makes an attribute with a raw payload.
   *
   * @throws IllegalArgumentException if the type or length does not fit 16 bits
   */
  public static RtAttr of(int type, byte[] value) {
    if (type < 0 || type > 0xffff) {
      throw new IllegalArgumentException("attribute type out of range: " + type);
    }
    if (value.length > 0xffff - HEADER_SIZE) {
      throw new IllegalArgumentException("attribute too long: " + value.length);
    }
    return new RtAttr(type, value.clone());
  }

  /** Makes a u8 attribute. */
  public static RtAttr ofU8(int type, int value) {
    return new RtAttr(type, new byte[] {(byte) value});
  }

  /** Makes a native-order u16 attribute. */
  public static RtAttr ofU16(int type, int value) {
    return new RtAttr(type, ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) value).array());
  }

  /** Makes a big-endian (network order) u16 attribute, e.g. {@code IFLA_VXLAN_PORT}. */
  public static RtAttr ofBe16(int type, int value) {
    return new RtAttr(type, new byte[] {(byte) (value >>> 8), (byte) value});
  }

  /** Makes a native-order u32 attribute. */
  public static RtAttr ofU32(int type, int value) {
    return new RtAttr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
  }

  /** Makes a NUL-terminated string attribute, as the kernel expects for names and kinds. */
  public static RtAttr ofString(int type, String value) {
    byte[] s = value.getBytes(StandardCharsets.UTF_8);
    return new RtAttr(type, Arrays.copyOf(s, s.length + 1));
  }

  /** Makes an empty (flag) attribute. */
  public static RtAttr ofFlag(int type) {
    return new RtAttr(type, new byte[0]);
  }

  /** Returns the type without the {@code NLA_F_NESTED} / {@code NLA_F_NET_BYTEORDER} bits. */
  public int type() {
    return type & ~(RtnlConstants.NLA_F_NESTED | RtnlConstants.NLA_F_NET_BYTEORDER);
  }

  /** Returns the type as written on the wire, flag bits included. */
  public int rawType() {
    return type;
  }

  /** Returns a copy of the payload. */
  public byte[] value() {
    return value.clone();
  }

  /** Returns the payload length. */
  public int valueLength() {
    return value.length;
  }

  /** Returns the encoded length without trailing padding ({@code rta_len}). */
  public int length() {
    return HEADER_SIZE + value.length;
  }

  /**
   * Returns the payload as u8.
   *
   * @throws IllegalStateException if the payload is empty
   */
  public int u8() {
    check(1);
    return Byte.toUnsignedInt(value[0]);
  }

  /** Returns the payload as a native-order u16. */
  public int u16() {
    check(2);
    return Short.toUnsignedInt(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getShort());
  }

  /** Returns the payload as a big-endian u16. */
  public int be16() {
    check(2);
    return ((value[0] & 0xff) << 8) | (value[1] & 0xff);
  }

  /** Returns the payload as a native-order u32 (as a Java int). */
  public int u32() {
    check(4);
    return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt();
  }

  /** Returns the payload as a string, up to the first NUL. */
  public String string() {
    int end = 0;
    while (end < value.length && value[end] != 0) {
      end++;
    }
    return new String(value, 0, end, StandardCharsets.UTF_8);
  }

  /** Parses the payload as a list of nested attributes. */
  public RtAttrs nested() {
    return RtAttrs.decode(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()), value.length);
  }

  private void check(int n) {
    if (value.length < n) {
      throw new IllegalStateException("attribute " + type() + " has " + value.length + " bytes, needs " + n);
    }
  }

  /** Writes header, payload and padding at the buffer's position and advances it. */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.putShort((short) length()).putShort((short) type).put(value);
    Codec.pad(buf);
  }

  /**
   * Reads one attribute at the buffer's position and advances past it and its padding.
   *
   * @throws IllegalArgumentException if the length field is inconsistent with the buffer
   */
  public static RtAttr decode(ByteBuffer buf) {
    Codec.checkOrder(buf);
    int len = Short.toUnsignedInt(buf.getShort());
    int type = Short.toUnsignedInt(buf.getShort());
    if (len < HEADER_SIZE || len - HEADER_SIZE > buf.remaining()) {
      throw new IllegalArgumentException("malformed attribute: length " + len + ", type " + type);
    }
    byte[] value = new byte[len - HEADER_SIZE];
    buf.get(value);
    int pad = Codec.align(len) - len;
    buf.position(Math.min(buf.limit(), buf.position() + pad));
    return new RtAttr(type, value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RtAttr other && other.type == type && Arrays.equals(other.value, value);
  }

  @Override
  public int hashCode() {
    return 31 * type + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "RtAttr{type=" + type() + ", value=" + HexFormat.of().formatHex(value) + "}";
  }
}
