package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.NetlinkException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Waits for one fd to become ready, or for a wake-up eventfd to be signalled, with a timeout:
 * the only way a blocked reader can be woken by {@code close()} (a thread inside a jnr-ffi
 * {@code read} cannot be interrupted). Each instance owns a small {@code pollfd[2]} buffer and
 * is used by one thread at a time. Internal usage only.
 */
public final class Poller {

  /** {@code POLLIN}. */ public static final int POLLIN = 0x1;
  /** {@code POLLOUT}. */ public static final int POLLOUT = 0x4;

  /** The outcome of a wait. */
  public enum Result {
    /** The fd is ready. */ READY,
    /** The wake-up fd was signalled (the owner is closing). */ WOKEN,
    /** The timeout expired. */ TIMEOUT
  }

  private final ByteBuffer fds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());

  /**
   * Waits until {@code fd} has {@code events}, {@code wakeFd} is readable, or
   * {@code timeoutMillis} pass (0 = just check; negative is treated as 0).
   *
   * @throws NetlinkException if poll fails with anything but EINTR
   */
  public Result await(int fd, int events, int wakeFd, long timeoutMillis) throws NetlinkException {
    long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
    while (true) {
      fds.clear();
      fds.putInt(0, fd).putShort(4, (short) events).putShort(6, (short) 0);
      fds.putInt(8, wakeFd).putShort(12, (short) POLLIN).putShort(14, (short) 0);
      long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
      int rc = Native.libc().poll(fds, 2, (int) Math.min(Integer.MAX_VALUE, left));
      if (rc < 0) {
        int errno = Native.errno();
        if (errno == NativeErrors.EINTR) {
          continue;
        }
        throw NativeErrors.newException("poll", errno, null);
      }
      if (rc == 0) {
        return Result.TIMEOUT;
      }
      if (fds.getShort(14) != 0) {
        return Result.WOKEN;
      }
      if (fds.getShort(6) != 0) {
        // POLLERR/POLLHUP also count as ready: the following read reports the error.
        return Result.READY;
      }
    }
  }
}
