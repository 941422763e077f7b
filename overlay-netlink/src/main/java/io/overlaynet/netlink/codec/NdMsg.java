package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * {@code struct ndmsg} (12 bytes), the fixed part of neighbour and bridge FDB messages.
 *
 * <pre>{@code
 * new NdMsg(AF_BRIDGE, ifindex, NUD_PERMANENT, NTF_SELF, 0).encodeTo(buf);   // bridge fdb ... self permanent
 * }</pre>
 *
 * @param family {@code AF_INET}, {@code AF_INET6} or {@code AF_BRIDGE}
 * @param index interface index
 * @param state {@code NUD_*} state (u16)
 * @param flags {@code NTF_*} flags (u8)
 * @param type {@code RTN_*} type (u8)
 */
public record NdMsg(int family, int index, int state, int flags, int type) {

  /** Encoded size in bytes. */
  public static final int SIZE = 12;

  /** Writes the struct at the buffer's position and advances it. */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.put((byte) family).put((byte) 0).putShort((short) 0).putInt(index)
        .putShort((short) state).put((byte) flags).put((byte) type);
  }

  /** Reads the struct at the buffer's position and advances it. */
  public static NdMsg decode(ByteBuffer buf) {
    Codec.checkOrder(buf);
    int family = Byte.toUnsignedInt(buf.get());
    buf.get();
    buf.getShort();
    int index = buf.getInt();
    int state = Short.toUnsignedInt(buf.getShort());
    int flags = Byte.toUnsignedInt(buf.get());
    int type = Byte.toUnsignedInt(buf.get());
    return new NdMsg(family, index, state, flags, type);
  }
}
