package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * {@code struct nlmsgerr}: the payload of an {@code NLMSG_ERROR} message (an acknowledgement
 * when {@code error == 0}), followed by the request header, the request payload unless capped,
 * and the extended-ack attributes when {@code NLM_F_ACK_TLVS} is set.
 *
 * <pre>{@code
 * NlMsgErr err = NlMsgErr.decode(payload, header.flags());
 * if (err.error() < 0) throw ... err.extAckMessage() ...
 * }</pre>
 *
 * @param error 0 for an ack, else a negative errno
 * @param request the header of the request this answers
 * @param extAckMessage the kernel's error text ({@code NLMSGERR_ATTR_MSG}), or null
 * @param extAckOffset offset of the offending attribute in the request, or -1
 */
public record NlMsgErr(int error, NlMsgHdr request, String extAckMessage, int extAckOffset) {

  /** Size of the fixed part: the error code and the request header. */
  public static final int SIZE = 4 + NlMsgHdr.SIZE;

  /** Returns whether this is a plain acknowledgement. */
  public boolean isAck() {
    return error == 0;
  }

  /**
   * Writes the error code and request header, then the extended-ack message if any. The request
   * payload is never echoed (as with {@code NETLINK_CAP_ACK}); the outer header of such a
   * message should carry {@code NLM_F_CAPPED} and, with a message, {@code NLM_F_ACK_TLVS}.
   */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.putInt(error);
    request.encodeTo(buf);
    if (extAckMessage != null) {
      RtAttr.ofString(NetlinkConstants.NLMSGERR_ATTR_MSG, extAckMessage).encodeTo(buf);
    }
    if (extAckOffset >= 0) {
      RtAttr.ofU32(NetlinkConstants.NLMSGERR_ATTR_OFFS, extAckOffset).encodeTo(buf);
    }
  }

  /**
   * Reads the error payload from the buffer's position to its limit.
   *
   * @param outerFlags the flags of the enclosing {@code NLMSG_ERROR} header
   */
  public static NlMsgErr decode(ByteBuffer buf, int outerFlags) {
    Codec.checkOrder(buf);
    int error = buf.getInt();
    NlMsgHdr request = NlMsgHdr.decode(buf);
    if ((outerFlags & NetlinkConstants.NLM_F_CAPPED) == 0) {
      // Without NETLINK_CAP_ACK the kernel echoes the whole request after its header.
      int skip = Math.min(buf.remaining(), Codec.align(Math.max(0, request.length() - NlMsgHdr.SIZE)));
      buf.position(buf.position() + skip);
    }
    String message = null;
    int offset = -1;
    if ((outerFlags & NetlinkConstants.NLM_F_ACK_TLVS) != 0 && buf.remaining() >= RtAttr.HEADER_SIZE) {
      RtAttrs tlvs = RtAttrs.decode(buf, buf.remaining());
      message = tlvs.string(NetlinkConstants.NLMSGERR_ATTR_MSG, null);
      offset = tlvs.u32(NetlinkConstants.NLMSGERR_ATTR_OFFS, -1);
    }
    return new NlMsgErr(error, request, message, offset);
  }
}
