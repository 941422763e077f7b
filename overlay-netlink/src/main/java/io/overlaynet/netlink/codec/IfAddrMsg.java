package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;

/**
 * {@code struct ifaddrmsg} (8 bytes), the fixed part of address messages.
 *
 * <pre>{@code
 * new IfAddrMsg(AF_INET, 24, 0, RT_SCOPE_UNIVERSE, ifindex).encodeTo(buf);
 * }</pre>
 *
 * @param family {@code AF_INET} or {@code AF_INET6}
 * @param prefixLength prefix length
 * @param flags {@code IFA_F_*} flags (low 8 bits; the rest travel in {@code IFA_FLAGS})
 * @param scope address scope
 * @param index interface index
 */
public record IfAddrMsg(int family, int prefixLength, int flags, int scope, int index) {

  /** Encoded size in bytes. */
  public static final int SIZE = 8;

  /** Writes the struct at the buffer's position and advances it. */
  public void encodeTo(ByteBuffer buf) {
    Codec.checkOrder(buf);
    buf.put((byte) family).put((byte) prefixLength).put((byte) flags).put((byte) scope).putInt(index);
  }

  /** Reads the struct at the buffer's position and advances it. */
  public static IfAddrMsg decode(ByteBuffer buf) {
    Codec.checkOrder(buf);
    int family = Byte.toUnsignedInt(buf.get());
    int prefix = Byte.toUnsignedInt(buf.get());
    int flags = Byte.toUnsignedInt(buf.get());
    int scope = Byte.toUnsignedInt(buf.get());
    return new IfAddrMsg(family, prefix, flags, scope, buf.getInt());
  }
}
