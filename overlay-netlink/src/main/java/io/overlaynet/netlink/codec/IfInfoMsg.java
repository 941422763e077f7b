package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * {@code struct ifinfomsg} (16 bytes), the fixed part of link messages.
 *
 * <pre>{@code
 * new IfInfoMsg(AF_UNSPEC, 0, ifindex, IFF_UP, IFF_UP).encodeTo(buf);   // ip link set up
 * }</pre>
 *
 * @param family address family (u8), usually {@code AF_UNSPEC}
 * @param type device type {@code ARPHRD_*} (u16)
 * @param index interface index (0 = not given)
 * @param flags {@code IFF_*} flags
 * @param change mask of flags to change
 */
public record IfInfoMsg(int family, int type, int index, int flags, int change) {

  /** Encoded size in bytes. */
  public static final int SIZE = 16;

  /** Writes the struct at the buffer's position and advances it. */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.put((byte) family).put((byte) 0).putShort((short) type).putInt(index).putInt(flags).putInt(change);
  }

  /** Reads the struct at the buffer's position and advances it. */
  public static IfInfoMsg decode(ByteBuffer buf) {
    Codec.checkOrder(buf);
    int family = Byte.toUnsignedInt(buf.get());
    buf.get();
    int type = Short.toUnsignedInt(buf.getShort());
    return new IfInfoMsg(family, type, buf.getInt(), buf.getInt(), buf.getInt());
  }
}
