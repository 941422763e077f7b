package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * Builds netlink messages in a caller-supplied native-order buffer: a header whose length is
 * patched when the message ends, a fixed struct, attributes and nested attributes. Several
 * messages may be written back to back, which is how requests are pipelined.
 *
 * <pre>{@code
 * NlMessageWriter w = new NlMessageWriter(buf);
 * w.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
 * new IfInfoMsg(AF_UNSPEC, 0, 0, 0, 0).encodeTo(w.buffer());
 * w.attr(RtAttr.ofString(IFLA_IFNAME, "br0"));
 * int info = w.beginNested(IFLA_LINKINFO);
 * w.attr(RtAttr.ofString(IFLA_INFO_KIND, "bridge"));
 * w.endNested(info);
 * w.end();
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class NlMessageWriter {

  private final ByteBuffer buf;
  private int messageStart = -1;

  /**
   * Writes into {@code buf} from its position.
   *
   * @throws IllegalArgumentException if the buffer is not in native byte order
   */
  public NlMessageWriter(ByteBuffer buf) {
    Codec.checkOrder(buf);
    this.buf = buf;
  }

  /** Returns the underlying buffer, for writing fixed structs. */
  public ByteBuffer buffer() {
    return buf;
  }

  /**
   * Starts a message: writes a header with a placeholder length and port id 0.
   *
   * @throws IllegalStateException if a message is still open
   */
  public NlMessageWriter begin(int type, int flags, int seq) {
    if (messageStart >= 0) {
      throw new IllegalStateException("previous message not ended");
    }
    Codec.pad(buf);
    messageStart = buf.position();
    new NlMsgHdr(0, type, flags, seq, 0).encodeTo(buf);
    return this;
  }

  /** Appends an attribute. */
  public NlMessageWriter attr(RtAttr attr) {
    attr.encodeTo(buf);
    return this;
  }

  /** Starts a nested attribute and returns its start, to pass to {@link #endNested}. */
  public int beginNested(int type) {
    int start = buf.position();
    buf.putShort((short) 0).putShort((short) type);
    return start;
  }

  /** Ends a nested attribute: patches its length. */
  public NlMessageWriter endNested(int start) {
    buf.putShort(start, (short) (buf.position() - start));
    return this;
  }

  /**
   * Ends the message: patches the header length and returns it.
   *
   * @throws IllegalStateException if no message is open
   */
  public int end() {
    if (messageStart < 0) {
      throw new IllegalStateException("no message begun");
    }
    Codec.pad(buf);
    int length = buf.position() - messageStart;
    buf.putInt(messageStart, length);
    messageStart = -1;
    return length;
  }
}
