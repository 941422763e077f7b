package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.netlink.internal.AddressCache;
import io.overlaynet.netlink.internal.FileDescriptor;
import io.overlaynet.netlink.internal.IoVec;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.NativeLayout;
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
 * TCP super-packets (TSO) with partial checksums; {@link #write(ByteBuffer[], int, int)} writes
 * such a header and the packet's pieces as one packet, without copying them together.
 *
 * <p>Batching data paths keep their packets in large direct buffers allocated once and hand the
 * device regions of them (set position and limit, or keep {@code slice()}s), read with a 0
 * timeout ({@code read(dst, 0)}: one non-blocking attempt) and wait on {@link #fd()} with their
 * own {@link Wakeup}. Every call holds the fd's use count, so a call that races with
 * {@link #close()} never touches a recycled fd number.
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
  /** The native addresses of the buffers last read into and written from. */
  private final AddressCache readAddress = new AddressCache();
  private final AddressCache writeAddress = new AddressCache();
  private final Object gatherLock = new Object();
  /** The gather writes' native iovec[], made on first use; guarded by {@link #gatherLock}. */
  private IoVec gather;

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
   * Reads one packet into {@code dst}, waiting at most {@code timeoutMillis}; with 0 (or less)
   * it does not wait: one non-blocking {@code read(2)}, which allocates nothing.
   *
   * @return the packet length (the position advanced by it), 0 on timeout (no packet queued), -1
   *     once closed
   * @throws IllegalArgumentException if {@code dst} is not direct or has no room (with a vnet
   *     header: less than {@value #VNET_HDR_SIZE} bytes)
   * @throws NetlinkException if the read fails (a packet larger than the space left is truncated by the kernel)
   */
  public int read(ByteBuffer dst, long timeoutMillis) throws NetlinkException {
    checkArgument(dst.isDirect(), "TUN reads need a direct buffer");
    int min = options.vnetHeader() ? VNET_HDR_SIZE : 1;
    checkArgument(dst.remaining() >= min, "a TUN read needs at least %s bytes of room in dst, it has %s", min,
        dst.remaining());
    if (!fd.acquire()) {
      return -1;
    }
    try {
      long deadline = timeoutMillis <= 0 ? 0 : System.nanoTime() + timeoutMillis * 1_000_000L;
      while (true) {
        long n = Native.libc().read(fd.intValue(), readAddress.address(dst) + dst.position(), dst.remaining());
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
        long left = timeoutMillis <= 0 ? 0 : (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return 0;
        }
        if (await(readPoller, Poller.POLLIN, left) == Poller.Result.WOKEN) {
          return -1;
        }
      }
    } finally {
      fd.release();
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
    acquireForWrite("write");
    try {
      while (true) {
        long n = Native.libc().write(fd.intValue(), writeAddress.address(src) + src.position(), src.remaining());
        if (n >= 0) {
          src.position(src.position() + (int) n);
          return (int) n;
        }
        awaitWritable("write", Native.errno());
      }
    } finally {
      fd.release();
    }
  }

  /**
   * Writes one packet gathered from the bytes remaining in {@code srcs[offset]} ..
   * {@code srcs[offset + length - 1]}, in order, with one {@code writev(2)}: e.g. a vnet header
   * and the pieces of a super-packet that lie apart in memory. Positions advance by the bytes
   * written, as for a {@link java.nio.channels.GatheringByteChannel}. Allocates nothing (the
   * device keeps one native {@code iovec[]}, and remembers the buffers last passed at each index);
   * one writer thread at a time.
   *
   * @return the number of bytes written, i.e. the packet's length
   * @throws IllegalArgumentException if the range is not in {@code srcs}, {@code length} is not in
   *     1..1024, or one of the buffers is null or not direct
   * @throws NetlinkException if the write fails (EINVAL for a malformed packet, EBADF once closed)
   * @throws UnsupportedOperationException if the runtime is not 64-bit Linux
   */
  public long write(ByteBuffer[] srcs, int offset, int length) throws NetlinkException {
    checkArgument(length >= 1 && length <= NativeLayout.IOV_MAX, "a TUN write takes 1..%s buffers: %s",
        NativeLayout.IOV_MAX, length);
    if (offset < 0 || offset > srcs.length - length) {
      throw new IllegalArgumentException("buffers " + offset + " + " + length + " outside the array of " + srcs.length);
    }
    for (int k = offset; k < offset + length; k++) {
      if (srcs[k] == null || !srcs[k].isDirect()) {
        throw new IllegalArgumentException("TUN writes need direct buffers: srcs[" + k + "] is "
            + (srcs[k] == null ? "null" : "not direct"));
      }
    }
    acquireForWrite("writev");
    try {
      synchronized (gatherLock) {
        IoVec iov = gather;
        if (iov == null) {
          iov = new IoVec(NativeLayout.IOV_MAX);
          gather = iov;
        }
        while (true) {
          long n = iov.writev(fd.intValue(), srcs, offset, length);
          if (n >= 0) {
            long left = n;
            for (int k = offset; k < offset + length && left > 0; k++) {
              int take = (int) Math.min(left, srcs[k].remaining());
              srcs[k].position(srcs[k].position() + take);
              left -= take;
            }
            return n;
          }
          awaitWritable("writev", (int) -n);
        }
      }
    } finally {
      fd.release();
    }
  }

  /** Acquires the fd for a write, or fails with EBADF once closed. */
  private void acquireForWrite(String op) throws NetlinkException {
    if (!fd.acquire()) {
      throw NativeErrors.newException(op + " " + name + ": device closed", NativeErrors.EBADF, null);
    }
  }

  /**
   * After a failed write: returns to retry it (EINTR; EAGAIN once writable again), or throws.
   * The kernel only answers EAGAIN to a TUN write past {@code TUNSETSNDBUF}, which is unlimited by default.
   */
  private void awaitWritable(String op, int errno) throws NetlinkException {
    if (errno == NativeErrors.EINTR) {
      return;
    }
    if (errno != NativeErrors.EAGAIN) {
      throw NativeErrors.newException(op + " " + name, errno, null);
    }
    if (await(writePoller, Poller.POLLOUT, 1000) == Poller.Result.WOKEN) {
      throw NativeErrors.newException(op + " " + name + ": device closed", NativeErrors.EBADF, null);
    }
  }

  /** Waits on the (acquired) fd and the wake-up fd; WOKEN also when the wake-up fd is already closed. */
  private Poller.Result await(Poller poller, int events, long timeoutMillis) throws NetlinkException {
    FileDescriptor w = wake.fd();
    if (!w.acquire()) {
      return Poller.Result.WOKEN;
    }
    try {
      return poller.await(fd.intValue(), events, w.intValue(), timeoutMillis);
    } finally {
      w.release();
    }
  }

  /**
   * Returns the raw, non-blocking fd, to wait on with {@link Wakeup.Waiter#await}; valid until
   * {@link #close()}.
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
