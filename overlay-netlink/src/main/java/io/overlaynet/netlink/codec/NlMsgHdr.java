package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * {@code struct nlmsghdr} (16 bytes): length, type, flags, sequence number and port id.
 *
 * <pre>{@code
 * new NlMsgHdr(32, RtnlConstants.RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0).encodeTo(buf);
 * }</pre>
 *
 * @param length total message length including this header
 * @param type message type (u16)
 * @param flags {@code NLM_F_*} flags (u16)
 * @param seq sequence number
 * @param pid port id (0 = the kernel)
 */
public record NlMsgHdr(int length, int type, int flags, int seq, int pid) {

  /** Encoded size in bytes. */
  public static final int SIZE = 16;

  /** Writes the header at the buffer's position and advances it by {@link #SIZE}. */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.putInt(length).putShort((short) type).putShort((short) flags).putInt(seq).putInt(pid);
  }

  /**
   * Reads a header at the buffer's position and advances it by {@link #SIZE}.
   *
   * @throws java.nio.BufferUnderflowException if fewer than 16 bytes remain
   */
  public static NlMsgHdr decode(ByteBuffer buf) {
    Codec.checkOrder(buf);
    int length = buf.getInt();
    int type = Short.toUnsignedInt(buf.getShort());
    int flags = Short.toUnsignedInt(buf.getShort());
    int seq = buf.getInt();
    int pid = buf.getInt();
    return new NlMsgHdr(length, type, flags, seq, pid);
  }

  /** Returns whether {@code flag} is set. */
  public boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }
}
