package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.NetlinkException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A non-blocking eventfd used to wake threads waiting in {@link Poller}; once signalled it
 * stays readable, which is what "closed" needs. Internal usage only.
 */
public final class WakeupFd implements AutoCloseable {

  private static final int EFD_CLOEXEC = 0x80000;
  private static final int EFD_NONBLOCK = 0x800;

  private final FileDescriptor fd;

  private WakeupFd(FileDescriptor fd) {
    this.fd = fd;
  }

  /**
   * Creates the eventfd.
   *
   * @throws NetlinkException if eventfd fails
   */
  public static WakeupFd create() throws NetlinkException {
    return new WakeupFd(FileDescriptor.of(NativeErrors.check("eventfd", Native.libc().eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))));
  }

  /** Returns the fd, for polling. */
  public FileDescriptor fd() {
    return fd;
  }

  /** Makes the eventfd readable; never blocks. */
  public void signal() {
    if (fd.acquire()) {
      try {
        ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1L);
        Native.libc().write(fd.intValue(), one, 8);
      } finally {
        fd.release();
      }
    }
  }

  @Override
  public void close() {
    fd.close();
  }
}
