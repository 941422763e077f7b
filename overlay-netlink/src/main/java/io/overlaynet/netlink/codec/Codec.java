package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Shared helpers of the codec: 4-byte alignment and the native-byte-order check.
 *
 * <pre>{@code
 * ByteBuffer buf = Codec.allocate(8192);   // direct, native order
 * Codec.align(5);                          // 8
 * }</pre>
 */
public final class Codec {

  private Codec() {}

  /** Netlink aligns headers and attributes to 4 bytes ({@code NLMSG_ALIGNTO}, {@code RTA_ALIGNTO}). */
  public static final int ALIGNTO = 4;

  /** Rounds {@code length} up to the next multiple of 4. */
  public static int align(int length) {
    return (length + ALIGNTO - 1) & ~(ALIGNTO - 1);
  }

  /** Allocates a direct buffer in native byte order, as every codec method expects. */
  public static ByteBuffer allocate(int capacity) {
    return ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
  }

  /**
   * Checks that {@code buf} uses native byte order: netlink is host-endian.
   *
   * @throws IllegalArgumentException if the buffer uses the other byte order
   */
  static void checkOrder(ByteBuffer buf) {
    if (buf.order() != ByteOrder.nativeOrder()) {
      throw new IllegalArgumentException("netlink buffers must use native byte order, not " + buf.order());
    }
  }

  /** Writes zero bytes up to the next 4-byte boundary of the buffer's position. */
  static void pad(ByteBuffer buf) {
    while ((buf.position() & (ALIGNTO - 1)) != 0) {
      buf.put((byte) 0);
    }
  }
}
