package io.overlaynet.netlink;

import io.overlaynet.netlink.internal.FileDescriptor;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A wake-up signal for threads waiting on raw fds: a non-blocking eventfd that, once
 * {@link #signal() signalled}, stays readable. A thread inside a native call cannot be
 * interrupted, so I/O threads wait in {@code poll} on their fd and this eventfd together
 * ({@link Waiter#await}), with a timeout.
 *
 * <pre>{@code
 * Wakeup wake = Wakeup.create();
 * Wakeup.Waiter w = wake.newWaiter();            // one per thread
 * while (w.await(sock.fd(), Wakeup.POLLIN, -1)) { ... drain ... }
 * // elsewhere: wake.signal(); join the threads; wake.close();
 * }</pre>
 *
 * <p>A building block for batching data paths such as the udp backend's, beside {@link UdpBatch} and
 * {@link TunDevice}.
 */
public final class Wakeup implements AutoCloseable {

  /** {@code POLLIN}. */ public static final short POLLIN = 0x1;
  /** {@code POLLOUT}. */ public static final short POLLOUT = 0x4;

  private static final int EFD_FLAGS = 0x800 | 0x80000; // EFD_NONBLOCK | EFD_CLOEXEC

  private final FileDescriptor fd;
  private final int rawFd;

  private Wakeup(FileDescriptor fd) {
    this.fd = fd;
    this.rawFd = fd.intValue();
  }

  /**
   * Creates the eventfd.
   *
   * @throws NetlinkException if {@code eventfd(2)} fails
   */
  public static Wakeup create() throws NetlinkException {
    return new Wakeup(FileDescriptor.of(NativeErrors.check("eventfd", Native.libc().eventfd(0, EFD_FLAGS))));
  }

  /** Makes the eventfd readable, waking every waiter now and in future; never blocks. */
  public void signal() {
    if (fd.acquire()) {
      try {
        ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
        Native.libc().write(rawFd, one, 8);
      } finally {
        fd.release();
      }
    }
  }

  /** Returns a waiter with its own {@code pollfd[2]}; use it from one thread at a time. */
  public Waiter newWaiter() {
    return new Waiter();
  }

  /** Closes the eventfd; idempotent. Call it after the waiting threads have ended. */
  @Override
  public void close() {
    fd.close();
  }

  @Override
  public String toString() {
    return "Wakeup{fd=" + rawFd + (fd.isOpen() ? "" : ", closed") + "}";
  }

  /** Waits on one fd and the wake-up eventfd; owns its native {@code pollfd[2]}, so no allocation per wait. */
  public final class Waiter {
    private final ByteBuffer pollfds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    private final long pollAddr = Native.address(pollfds);
    private final LibC libc = Native.libc();

    private Waiter() {}

    /**
     * Waits until {@code fd} has {@code events} (or an error/hangup), the wake-up is signalled,
     * or {@code timeoutMillis} pass (negative: no limit). A negative {@code fd} is ignored, which
     * makes this a wakeable sleep. EINTR restarts the wait.
     *
     * @return false if the wake-up has been signalled, true otherwise (ready or timed out)
     */
    public boolean await(int fd, short events, int timeoutMillis) {
      pollfds.putInt(0, fd).putShort(4, events).putShort(6, (short) 0);
      pollfds.putInt(8, rawFd).putShort(12, POLLIN).putShort(14, (short) 0);
      while (true) {
        int rc = libc.poll(pollAddr, 2, timeoutMillis);
        if (rc >= 0 || Native.errno() != NativeErrors.EINTR) {
          break;
        }
      }
      return pollfds.getShort(14) == 0;
    }
  }
}
