package io.overlaynet.netlink.internal;

import static io.overlaynet.netlink.internal.NativeLayout.IOVEC_SIZE;
import static io.overlaynet.netlink.internal.NativeLayout.IOV_BASE;
import static io.overlaynet.netlink.internal.NativeLayout.IOV_LEN;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A native {@code struct iovec[]} for gather writes of direct {@link ByteBuffer}s: each call
 * points entry {@code k} at the remaining bytes of the {@code k}-th buffer and calls
 * {@code writev(2)}. Looking up a buffer's native address costs a JNI call (~40 ns); a gather
 * writer passes the same buffer objects again and again, so the address is remembered per entry
 * and looked up only when a different buffer comes. (Holding the buffer keeps its memory, and so
 * the remembered address, valid.) Not thread-safe. Internal usage only.
 */
public final class IoVec {

  private final ByteBuffer iov;
  private final long base;
  private final ByteBuffer[] buffers;
  private final long[] addresses;

  /**
   * Allocates room for {@code capacity} entries.
   *
   * @throws UnsupportedOperationException if the runtime is not 64-bit Linux
   */
  public IoVec(int capacity) {
    NativeLayout.requireLp64();
    iov = ByteBuffer.allocateDirect(capacity * IOVEC_SIZE).order(ByteOrder.nativeOrder());
    base = Native.address(iov);
    buffers = new ByteBuffer[capacity];
    addresses = new long[capacity];
  }

  /** Returns the number of entries. */
  public int capacity() {
    return buffers.length;
  }

  /**
   * {@code writev(2)} on {@code fd} of the remaining bytes of {@code srcs[offset .. offset+length-1]}
   * (direct buffers, at most {@link #capacity()}); positions are not moved.
   *
   * @return the bytes written, or a negative errno
   */
  public long writev(int fd, ByteBuffer[] srcs, int offset, int length) {
    for (int k = 0; k < length; k++) {
      ByteBuffer b = srcs[offset + k];
      if (buffers[k] != b) {
        addresses[k] = Native.address(b);
        buffers[k] = b;
      }
      int e = k * IOVEC_SIZE;
      iov.putLong(e + IOV_BASE, addresses[k] + b.position());
      iov.putLong(e + IOV_LEN, b.remaining());
    }
    long r = Native.libc().writev(fd, base, length);
    return r >= 0 ? r : -Native.errno();
  }
}
