package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.netlink.internal.FileDescriptor;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.Poller;
import io.overlaynet.netlink.internal.WakeupFd;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A TUN device ({@code IFF_TUN|IFF_NO_PI}): raw IP packets in and out through direct buffers.
 * The device exists while this object (and any other queue) is open, like flannel's
 * {@code flannel0}. The fd is non-blocking; reads wait in {@code poll} together with a wake-up
 * fd, so {@link #close()} from another thread wakes a blocked reader at once.
 *
 * <pre>{@code
 * try (TunDevice tun = TunDevice.create("flannel%d", TunOptions.DEFAULT)) {   // kernel picks flannel0
 *   ByteBuffer buf = ByteBuffer.allocateDirect(1500);
 *   int n = tun.read(buf);          // one packet; buf.position() advanced by n; -1 once closed
 *   buf.flip();
 *   tun.write(buf);
 * }
 * }</pre>
 *
 * <p>One reader and one writer thread may use a device concurrently.
 *
 * <p>With {@link TunOptions#withVnetHeader(boolean)} every packet carries a
 * {@value #VNET_HDR_SIZE}-byte {@code struct virtio_net_hdr} in front, and the kernel hands over
 * TCP super-packets (TSO) with partial checksums. Batching data paths use the native-address
 * methods ({@link #readNative}, {@link #writeNative}, {@link #writevNative}) on buffers they
 * allocated once.
 */
public final class TunDevice implements AutoCloseable {

  /** {@code sizeof(struct virtio_net_hdr)}, the prefix of every packet with a vnet header. */
  public static final int VNET_HDR_SIZE = 10;

  private static final long TUNSETIFF = 0x400454caL;
  private static final long TUNSETOFFLOAD = 0x400454d0L;
  private static final int IFF_VNET_HDR = 0x4000;
  private static final int TUN_F_CSUM = 0x01;
  private static final int TUN_F_TSO4 = 0x02;
  private static final int IFF_TUN = 0x0001;
  private static final int IFF_NO_PI = 0x1000;
  private static final int IFF_MULTI_QUEUE = 0x0100;
  private static final int O_RDWR = 2;
  private static final int O_NONBLOCK = 0x800;
  private static final int O_CLOEXEC = 0x80000;
  private static final int IFREQ_SIZE = 40;
  private static final int IFNAMSIZ = 16;

  private final FileDescriptor fd;
  private final WakeupFd wake;
  private final String name;
  private final TunOptions options;
  private final NetNs ns;
  private final Poller readPoller = new Poller();
  private final Poller writePoller = new Poller();

  private TunDevice(FileDescriptor fd, WakeupFd wake, String name, TunOptions options, NetNs ns) {
    this.fd = fd;
    this.wake = wake;
    this.name = name;
    this.options = options;
    this.ns = ns;
  }

  /** Returns whether TUN devices can be created here; see {@link Netlink#tun()}. */
  public static boolean isAvailable() {
    return Netlink.tun().isAvailable();
  }

  /**
   * Creates (or attaches to) a TUN device in the calling thread's namespace. A name with
   * {@code %d} is a template the kernel completes ({@code flannel%d} → {@code flannel0}).
   * Equivalent to: {@code ip tuntap add NAME mode tun} (not persistent).
   *
   * @throws IllegalArgumentException if the name is empty or longer than 15 bytes
   * @throws NetlinkException if opening {@code /dev/net/tun} or {@code TUNSETIFF} fails
   */
  public static TunDevice create(String nameOrTemplate, TunOptions options) throws NetlinkException {
    return open(nameOrTemplate, options, null);
  }

  /**
   * Creates a TUN device inside {@code ns} (the device belongs to the namespace of the thread
   * that opens {@code /dev/net/tun}). Equivalent to: {@code ip -n NS tuntap add NAME mode tun}.
   *
   * @throws NetlinkException if creation fails
   */
  public static TunDevice createIn(NetNs ns, String nameOrTemplate, TunOptions options) throws NetlinkException {
    return ns.run(() -> open(nameOrTemplate, options, ns));
  }

  private static TunDevice open(String requested, TunOptions options, NetNs ns) throws NetlinkException {
    byte[] nameBytes = requested.getBytes(StandardCharsets.UTF_8);
    checkArgument(!requested.isEmpty() && nameBytes.length < IFNAMSIZ, "invalid TUN name: %s", requested);
    int raw = NativeErrors.check("open /dev/net/tun", Native.libc().open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    FileDescriptor fd = FileDescriptor.of(raw);
    try {
      ByteBuffer ifr = ByteBuffer.allocateDirect(IFREQ_SIZE).order(ByteOrder.nativeOrder());
      ifr.put(0, nameBytes);
      int flags = IFF_TUN | IFF_NO_PI | (options.multiQueue() ? IFF_MULTI_QUEUE : 0)
          | (options.vnetHeader() ? IFF_VNET_HDR : 0);
      ifr.putShort(IFNAMSIZ, (short) flags);
      NativeErrors.check("ioctl(TUNSETIFF, " + requested + ")", Native.libc().ioctl(raw, TUNSETIFF, ifr));
      if (options.vnetHeader()) {
        // The argument is the flag word itself, not a pointer.
        NativeErrors.check("ioctl(TUNSETOFFLOAD)", Native.libc().ioctl(raw, TUNSETOFFLOAD, (long) (TUN_F_CSUM | TUN_F_TSO4)));
      }
      // The kernel writes the final name back into the ifreq (the template completed).
      byte[] actual = new byte[IFNAMSIZ];
      ifr.get(0, actual);
      int len = 0;
      while (len < IFNAMSIZ && actual[len] != 0) {
        len++;
      }
      return new TunDevice(fd, WakeupFd.create(), new String(actual, 0, len, StandardCharsets.UTF_8), options, ns);
    } catch (NetlinkException | RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /**
   * Opens another queue of a multi-queue device (each queue is read and written independently).
   *
   * @throws IllegalStateException if the device is not multi-queue
   * @throws NetlinkException if attaching fails
   */
  public TunDevice openQueue() throws NetlinkException {
    if (!options.multiQueue()) {
      throw new IllegalStateException(name + " is not a multi-queue device");
    }
    return ns == null ? open(name, options, null) : ns.run(() -> open(name, options, ns));
  }

  /** Returns the device name the kernel gave (the template completed). */
  public String name() {
    return name;
  }

  /** Returns the options the device was created with. */
  public TunOptions options() {
    return options;
  }

  /** Returns whether {@link #close()} has not been called. */
  public boolean isOpen() {
    return fd.isOpen();
  }

  /**
   * Reads one packet into {@code dst} from its position, waiting as long as needed.
   *
   * @return the packet length (the position advanced by it), or -1 once the device is closed
   * @throws IllegalArgumentException if {@code dst} is not direct
   * @throws NetlinkException if the read fails
   */
  public int read(ByteBuffer dst) throws NetlinkException {
    while (true) {
      int n = read(dst, 1000);
      if (n != 0) {
        return n;
      }
    }
  }

  /**
   * Reads one packet into {@code dst}, waiting at most {@code timeoutMillis}.
   *
   * @return the packet length (the position advanced by it), 0 on timeout, -1 once closed
   * @throws IllegalArgumentException if {@code dst} is not direct
   * @throws NetlinkException if the read fails (a packet larger than the space left is truncated by the kernel)
   */
  public int read(ByteBuffer dst, long timeoutMillis) throws NetlinkException {
    checkArgument(dst.isDirect(), "TUN reads need a direct buffer");
    if (!acquire()) {
      return -1;
    }
    try {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      while (true) {
        long n = Native.libc().read(fd.intValue(), dst, dst.remaining());
        if (n >= 0) {
          dst.position(dst.position() + (int) n);
          return (int) n;
        }
        int errno = Native.errno();
        if (errno == NativeErrors.EINTR) {
          continue;
        }
        if (errno != NativeErrors.EAGAIN) {
          throw NativeErrors.newException("read " + name, errno, null);
        }
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return 0;
        }
        if (readPoller.await(fd.intValue(), Poller.POLLIN, wake.fd().intValue(), left) == Poller.Result.WOKEN) {
          return -1;
        }
      }
    } finally {
      release();
    }
  }

  /**
   * Writes one packet: the bytes from {@code src}'s position to its limit.
   *
   * @return the number of bytes written (the position advanced by it)
   * @throws IllegalArgumentException if {@code src} is not direct
   * @throws NetlinkException if the write fails (EINVAL for a malformed packet, EBADF once closed)
   */
  public int write(ByteBuffer src) throws NetlinkException {
    checkArgument(src.isDirect(), "TUN writes need a direct buffer");
    if (!acquire()) {
      throw NativeErrors.newException("write " + name + ": closed", NativeErrors.EBADF, null);
    }
    try {
      while (true) {
        long n = Native.libc().write(fd.intValue(), src, src.remaining());
        if (n >= 0) {
          src.position(src.position() + (int) n);
          return (int) n;
        }
        int errno = Native.errno();
        if (errno == NativeErrors.EINTR) {
          continue;
        }
        if (errno != NativeErrors.EAGAIN) {
          throw NativeErrors.newException("write " + name, errno, null);
        }
        if (writePoller.await(fd.intValue(), Poller.POLLOUT, wake.fd().intValue(), 1000) == Poller.Result.WOKEN) {
          throw NativeErrors.newException("write " + name + ": closed", NativeErrors.EBADF, null);
        }
      }
    } finally {
      release();
    }
  }

  /**
   * Reads one packet of at most {@code len} bytes to native address {@code addr}: one
   * non-blocking {@code read(2)}. Never blocks, throws or allocates; the caller keeps the device
   * open meanwhile. Internal usage only.
   *
   * @return the packet length, or a negative errno ({@code -EAGAIN}: no packet queued)
   */
  public long readNative(long addr, int len) {
    long r = Native.libc().read(fd.intValue(), addr, len);
    return r >= 0 ? r : -Native.errno();
  }

  /**
   * Writes one packet of {@code len} bytes at native address {@code addr}: {@code write(2)}.
   * Internal usage only.
   *
   * @return the bytes written, or a negative errno
   */
  public long writeNative(long addr, int len) {
    long r = Native.libc().write(fd.intValue(), addr, len);
    return r >= 0 ? r : -Native.errno();
  }

  /**
   * Writes one packet gathered from {@code iovcnt} {@code struct iovec} at native address
   * {@code iov}: {@code writev(2)} (e.g. a vnet header and a payload). Internal usage only.
   *
   * @return the bytes written, or a negative errno
   */
  public long writevNative(long iov, int iovcnt) {
    long r = Native.libc().writev(fd.intValue(), iov, iovcnt);
    return r >= 0 ? r : -Native.errno();
  }

  private boolean acquire() {
    if (!fd.acquire()) {
      return false;
    }
    if (!wake.fd().acquire()) {
      fd.release();
      return false;
    }
    return true;
  }

  private void release() {
    wake.fd().release();
    fd.release();
  }

  /**
   * Returns the raw, non-blocking fd. Internal usage only (for batching I/O in the udp backend);
   * valid until {@link #close()}.
   */
  public int fd() {
    return fd.intValue();
  }

  /** Closes the device, waking any blocked reader, which then returns -1. Idempotent; never blocks. */
  @Override
  public void close() {
    if (fd.isOpen()) {
      fd.close();
      wake.signal();
      wake.close();
    }
  }

  @Override
  public String toString() {
    return "TunDevice{" + name + ", " + fd + "}";
  }
}
