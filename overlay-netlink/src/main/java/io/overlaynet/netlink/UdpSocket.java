package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.internal.FileDescriptor;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A non-blocking, close-on-exec IPv4 UDP socket for batched, zero-copy I/O: {@code sendmmsg} /
 * {@code recvmmsg} over a caller-built {@code struct mmsghdr[]} in a direct buffer, with
 * {@code UDP_SEGMENT} (GSO) and {@code UDP_GRO} support. It is made with {@code socket(2)} in the
 * calling thread's network namespace.
 *
 * <pre>{@code
 * try (UdpSocket s = UdpSocket.bind(Ip4.parse("127.0.0.1"), 8285, 4 << 20, false);
 *      Wakeup wake = Wakeup.create()) {
 *   Wakeup.Waiter waiter = wake.newWaiter();
 *   int n = s.receiveBatch(NativeIo.address(ctl), 64);   // count, or -errno (-EAGAIN: nothing yet)
 *   if (n == -NativeIo.EAGAIN && waiter.await(s.fd(), Wakeup.POLLIN, 1000)) { ... }
 * }
 * }</pre>
 *
 * <p>The batch methods are the hot path: they take native addresses, never throw and never
 * allocate, and report failure as a negative errno. The caller keeps the socket open while it
 * uses them (stop the I/O threads, then {@link #close()}), as netty's native transports do.
 * Internal usage only: plumbing for the udp backend.
 */
public final class UdpSocket implements AutoCloseable {

  /** {@code sizeof(struct sockaddr_in)}. */ public static final int SOCKADDR_IN_SIZE = 16;
  /** {@code SOL_UDP}, the cmsg level of {@link #UDP_SEGMENT} and {@link #UDP_GRO}. */ public static final int SOL_UDP = 17;
  /** {@code UDP_SEGMENT}: UDP GSO, a u16 segment size as sockopt or cmsg (Linux 4.18). */ public static final int UDP_SEGMENT = 103;
  /** {@code UDP_GRO}: coalesced same-flow datagrams, segment size in a cmsg (Linux 5.0). */ public static final int UDP_GRO = 104;
  /** {@code MSG_TRUNC} in {@code msg_flags}: the datagram was larger than the buffer. */ public static final int MSG_TRUNC = 0x20;

  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_NONBLOCK = 0x800;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_SNDBUF = 7;
  private static final int SO_RCVBUF = 8;
  private static final int SO_REUSEPORT = 15;
  private static final int SO_SNDBUFFORCE = 32;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int MSG_DONTWAIT = 0x40;

  private final FileDescriptor fd;
  private final int rawFd;
  private final LibC libc;

  private UdpSocket(FileDescriptor fd) {
    this.fd = fd;
    this.rawFd = fd.intValue();
    this.libc = Native.libc();
  }

  /**
   * Opens a socket bound to {@code addr:port} with send and receive buffers of
   * {@code bufferBytes}, forced past the sysctl limits when privileged ({@code SO_RCVBUFFORCE}):
   * a userspace tunnel needs deep buffers to ride out scheduling gaps without loss.
   *
   * @param reusePort set {@code SO_REUSEPORT} so several sockets (one per queue) share the port
   * @throws IllegalArgumentException if the port is out of 0..65535 or the buffer size not positive
   * @throws NetlinkException if the socket cannot be made or bound (e.g. EADDRINUSE)
   */
  public static UdpSocket bind(Ip4 addr, int port, int bufferBytes, boolean reusePort) throws NetlinkException {
    checkArgument(port >= 0 && port <= 65535, "port out of range: %s", port);
    checkArgument(bufferBytes > 0, "buffer size must be positive: %s", bufferBytes);
    LibC lib = Native.libc();
    int raw = NativeErrors.check("socket(AF_INET, SOCK_DGRAM)", lib.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    UdpSocket s = new UdpSocket(FileDescriptor.of(raw));
    try {
      ByteBuffer opt = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
      if (reusePort) {
        opt.putInt(0, 1);
        NativeErrors.check("setsockopt(SO_REUSEPORT)", lib.setsockopt(raw, SOL_SOCKET, SO_REUSEPORT, opt, 4));
      }
      opt.putInt(0, bufferBytes);
      if (lib.setsockopt(raw, SOL_SOCKET, SO_RCVBUFFORCE, opt, 4) < 0) {
        lib.setsockopt(raw, SOL_SOCKET, SO_RCVBUF, opt, 4); // unprivileged: capped by rmem_max
      }
      if (lib.setsockopt(raw, SOL_SOCKET, SO_SNDBUFFORCE, opt, 4) < 0) {
        lib.setsockopt(raw, SOL_SOCKET, SO_SNDBUF, opt, 4);
      }
      ByteBuffer sa = ByteBuffer.allocateDirect(SOCKADDR_IN_SIZE).order(ByteOrder.nativeOrder());
      writeSockaddr(sa, 0, addr.toInt(), port);
      NativeErrors.check("bind " + addr + ":" + port, lib.bind(raw, sa, SOCKADDR_IN_SIZE));
      return s;
    } catch (NetlinkException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Writes a {@code struct sockaddr_in} at {@code off} of a native-order buffer: family in host
   * order, port and address ({@code addr} a big-endian int) in network order.
   */
  public static void writeSockaddr(ByteBuffer nativeOrder, int off, int addr, int port) {
    boolean little = nativeOrder.order() == ByteOrder.LITTLE_ENDIAN;
    nativeOrder.putShort(off, (short) AF_INET);
    nativeOrder.putShort(off + 2, little ? Short.reverseBytes((short) port) : (short) port);
    nativeOrder.putInt(off + 4, little ? Integer.reverseBytes(addr) : addr);
    nativeOrder.putLong(off + 8, 0);
  }

  /** Returns the big-endian address of the {@code struct sockaddr_in} at {@code off} of a native-order buffer. */
  public static int readSockaddrAddr(ByteBuffer nativeOrder, int off) {
    int v = nativeOrder.getInt(off + 4);
    return nativeOrder.order() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
  }

  /**
   * Returns the bound local port (useful after binding port 0): {@code getsockname(2)}.
   *
   * @throws NetlinkException if getsockname fails (e.g. EBADF once closed)
   */
  public int localPort() throws NetlinkException {
    ByteBuffer sa = ByteBuffer.allocateDirect(SOCKADDR_IN_SIZE).order(ByteOrder.nativeOrder());
    ByteBuffer len = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, SOCKADDR_IN_SIZE);
    checkOpen("getsockname");
    try {
      NativeErrors.check("getsockname", libc.getsockname(rawFd, sa, len));
    } finally {
      fd.release();
    }
    return Short.toUnsignedInt(sa.order(ByteOrder.BIG_ENDIAN).getShort(2)); // sin_port is in network order
  }

  /** Returns the receive buffer size the kernel granted ({@code SO_RCVBUF}, doubled by the kernel). */
  public int receiveBufferSize() throws NetlinkException {
    return intOption(SOL_SOCKET, SO_RCVBUF, "getsockopt(SO_RCVBUF)");
  }

  /** Returns the send buffer size the kernel granted ({@code SO_SNDBUF}). */
  public int sendBufferSize() throws NetlinkException {
    return intOption(SOL_SOCKET, SO_SNDBUF, "getsockopt(SO_SNDBUF)");
  }

  private int intOption(int level, int option, String what) throws NetlinkException {
    ByteBuffer value = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    ByteBuffer len = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 4);
    checkOpen(what);
    try {
      NativeErrors.check(what, libc.getsockopt(rawFd, level, option, value, len));
    } finally {
      fd.release();
    }
    return value.getInt(0);
  }

  /** Acquires the fd for a control call, so a concurrent close cannot recycle the number under it. */
  private void checkOpen(String what) throws NetlinkException {
    if (!fd.acquire()) {
      throw NativeErrors.newException(what + ": closed", NativeErrors.EBADF, null);
    }
  }

  /**
   * Switches {@code UDP_GRO} on or off. On, one receive may return several same-flow datagrams
   * back to back, with their size in a {@code UDP_GRO} cmsg: only for a reader of that cmsg.
   *
   * @return false if the kernel refused (lacks it)
   */
  public boolean setGro(boolean on) {
    ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, on ? 1 : 0);
    return libc.setsockopt(rawFd, SOL_UDP, UDP_GRO, b, 4) == 0;
  }

  /** Returns whether the kernel knows {@code UDP_SEGMENT} (UDP GSO on send), probed as wireguard-go does. */
  public boolean supportsGso() {
    ByteBuffer value = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    ByteBuffer len = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 4);
    return libc.getsockopt(rawFd, SOL_UDP, UDP_SEGMENT, value, len) == 0;
  }

  /**
   * Sends a batch: {@code sendmmsg(2)} over {@code vlen} {@code struct mmsghdr} at native address
   * {@code msgvec} (64 bytes each on LP64). Never blocks, throws or allocates.
   *
   * @return the number of messages sent, or a negative errno (e.g. {@code -EAGAIN}, {@code -EIO})
   */
  public int sendBatch(long msgvec, int vlen) {
    int r = libc.sendmmsg(rawFd, msgvec, vlen, 0);
    return r >= 0 ? r : -Native.errno();
  }

  /**
   * Receives a batch without waiting: {@code recvmmsg(2, MSG_DONTWAIT)} into {@code vlen}
   * {@code struct mmsghdr} at native address {@code msgvec}. Never blocks, throws or allocates.
   *
   * @return the number of messages received, or a negative errno ({@code -EAGAIN}: none queued)
   */
  public int receiveBatch(long msgvec, int vlen) {
    int r = libc.recvmmsg(rawFd, msgvec, vlen, MSG_DONTWAIT, 0);
    return r >= 0 ? r : -Native.errno();
  }

  /**
   * Sends one datagram of {@code len} bytes at native address {@code buf} to the
   * {@code struct sockaddr_in} at native address {@code sockaddr}: {@code sendto(2)}.
   *
   * @return the number of bytes sent, or a negative errno
   */
  public long sendTo(long buf, int len, long sockaddr) {
    long r = libc.sendto(rawFd, buf, len, 0, sockaddr, SOCKADDR_IN_SIZE);
    return r >= 0 ? r : -Native.errno();
  }

  /** Returns the raw fd, e.g. for {@link Wakeup.Waiter#await}; valid until {@link #close()}. */
  public int fd() {
    return rawFd;
  }

  /** Returns whether {@link #close()} has not been called. */
  public boolean isOpen() {
    return fd.isOpen();
  }

  /** Closes the socket; idempotent, never blocks. Stop the threads using it first. */
  @Override
  public void close() {
    fd.close();
  }

  @Override
  public String toString() {
    return "UdpSocket{fd=" + rawFd + (fd.isOpen() ? "" : ", closed") + "}";
  }
}
