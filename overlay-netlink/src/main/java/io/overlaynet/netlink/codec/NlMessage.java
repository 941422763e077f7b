package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One netlink message: its header and a read-only view of its payload (the bytes after the
 * header, up to {@code nlmsg_len}).
 *
 * <pre>{@code
 * for (NlMessage m : NlMessage.split(received)) {
 *   if (m.header().type() == RTM_NEWLINK) { IfInfoMsg ifi = IfInfoMsg.decode(m.payload()); ... }
 * }
 * }</pre>
 *
 * @param header the header
 * @param payload the payload, positioned at 0, native order; each call of {@link #payload()}
 *     returns a fresh view
 */
public record NlMessage(NlMsgHdr header, ByteBuffer payload) {

  /** Returns a fresh view of the payload positioned at its start. */
  @Override
  public ByteBuffer payload() {
    return payload.duplicate().order(payload.order());
  }

  /**
   * Splits the bytes from the buffer's position to its limit into messages; the buffer's
   * position is left at its limit.
   *
   * @throws IllegalArgumentException if a header's length is smaller than a header or
   *     overruns the buffer
   */
  public static List<NlMessage> split(ByteBuffer buf) {
    Codec.checkOrder(buf);
    List<NlMessage> out = new ArrayList<>();
    while (buf.remaining() >= NlMsgHdr.SIZE) {
      int start = buf.position();
      NlMsgHdr h = NlMsgHdr.decode(buf);
      if (h.length() < NlMsgHdr.SIZE || h.length() > buf.limit() - start) {
        throw new IllegalArgumentException("malformed netlink message: length " + h.length()
            + " with " + (buf.limit() - start) + " bytes left");
      }
      ByteBuffer payload = buf.slice(start + NlMsgHdr.SIZE, h.length() - NlMsgHdr.SIZE)
          .asReadOnlyBuffer().order(buf.order());
      out.add(new NlMessage(h, payload));
      buf.position(Math.min(buf.limit(), start + Codec.align(h.length())));
    }
    buf.position(buf.limit());
    return out;
  }
}
