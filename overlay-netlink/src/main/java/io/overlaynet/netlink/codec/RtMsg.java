package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * {@code struct rtmsg} (12 bytes), the fixed part of route messages.
 *
 * <pre>{@code
 * new RtMsg(AF_INET, 24, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, RTNH_F_ONLINK)
 *     .encodeTo(buf);
 * }</pre>
 *
 * @param family address family
 * @param dstLength destination prefix length
 * @param srcLength source prefix length
 * @param tos type of service
 * @param table table id (u8; ids above 255 go in {@code RTA_TABLE})
 * @param protocol {@code RTPROT_*}
 * @param scope {@code RT_SCOPE_*}
 * @param type {@code RTN_*}
 * @param flags {@code RTM_F_*} / {@code RTNH_F_*} flags
 */
public record RtMsg(int family, int dstLength, int srcLength, int tos, int table, int protocol, int scope,
    int type, int flags) {

  /** Encoded size in bytes. */
  public static final int SIZE = 12;

  /** Writes the struct at the buffer's position and advances it. */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.put((byte) family).put((byte) dstLength).put((byte) srcLength).put((byte) tos)
        .put((byte) table).put((byte) protocol).put((byte) scope).put((byte) type).putInt(flags);
  }

  /** Reads the struct at the buffer's position and advances it. */
  public static RtMsg decode(ByteBuffer buf) {
    Codec.checkOrder(buf);
    int[] b = new int[8];
    for (int i = 0; i < 8; i++) {
      b[i] = Byte.toUnsignedInt(buf.get());
    }
    return new RtMsg(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], buf.getInt());
  }
}
