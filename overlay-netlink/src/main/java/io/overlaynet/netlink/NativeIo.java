package io.overlaynet.netlink;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import java.nio.ByteBuffer;

/**
 * Zero-copy helpers shared by batching data paths built on {@link UdpSocket} and
 * {@link TunDevice}'s native-address I/O: the native address of a direct buffer, and the errno
 * values those calls return negated. Internal usage only (plumbing for the udp backend); the
 * errno text comes from the module's one errno table.
 *
 * <pre>{@code
 * ByteBuffer pkts = ByteBuffer.allocateDirect(1 << 20);
 * long base = NativeIo.address(pkts);
 * int r = tun.readNative(base + off, 65536);
 * if (r == -NativeIo.EAGAIN) { ... }
 * }</pre>
 */
public final class NativeIo {

  /** {@code EINTR}: interrupted by a signal, retry. */ public static final int EINTR = NativeErrors.EINTR;
  /** {@code EIO}: e.g. UDP GSO on a device without checksum offload. */ public static final int EIO = 5;
  /** {@code EAGAIN}: a non-blocking call would block. */ public static final int EAGAIN = NativeErrors.EAGAIN;
  /** {@code ENOBUFS}: no buffer space. */ public static final int ENOBUFS = NativeErrors.ENOBUFS;

  private NativeIo() {}

  /**
   * Returns the native address of a direct buffer's first byte (index 0, not its position); it
   * stays valid while the buffer is reachable.
   *
   * @throws IllegalArgumentException if {@code direct} is not a direct buffer
   * @throws UnsupportedOperationException if the native binding is unavailable
   */
  public static long address(ByteBuffer direct) {
    return Native.address(direct);
  }

  /** Returns e.g. {@code "Address already in use (errno 98)"} for a (positive) errno value. */
  public static String describe(int errno) {
    return NativeErrors.describe(errno) + " (errno " + errno + ")";
  }
}
