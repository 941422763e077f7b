package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;
import static io.overlaynet.netlink.internal.NativeLayout.SOCKADDR_IN_SIZE;
import static io.overlaynet.netlink.internal.NativeLayout.SOL_UDP;
import static io.overlaynet.netlink.internal.NativeLayout.UDP_GRO;
import static io.overlaynet.netlink.internal.NativeLayout.UDP_SEGMENT;

import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.internal.FileDescriptor;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.NativeLayout;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A non-blocking, close-on-exec IPv4 UDP socket for batched, zero-copy I/O: {@link #send} and
 * {@link #receive} move a whole {@link UdpBatch} with one {@code sendmmsg} / {@code recvmmsg},
 * with UDP GSO ({@code UDP_SEGMENT}) and GRO ({@code UDP_GRO}) per datagram. It is made with
 * {@code socket(2)} in the calling thread's network namespace.
 *
 * <pre>{@code
 * try (UdpSocket s = UdpSocket.bind(Ip4.parse("127.0.0.1"), 8285, 4 << 20, false);
 *      Wakeup wake = Wakeup.create()) {
 *   UdpBatch batch = UdpBatch.allocate(64, 64 * 2048);
 *   Wakeup.Waiter waiter = wake.newWaiter();
 *   int n;
 *   while ((n = s.receive(batch)) == 0) {                 // 0: nothing queued yet
 *     if (!waiter.await(s.fd(), Wakeup.POLLIN, -1)) { return; }   // woken: stop
 *   }
 *   // slots 0 .. n-1 hold datagrams
 * }
 * }</pre>
 *
 * <p>The batch calls are the hot path: they never block, allocate nothing unless they throw, and
 * report "would block" as 0. Like every call here they take the fd's use count, so a call racing
 * with {@link #close()} fails with EBADF instead of touching a recycled fd number; still, stop
 * the I/O threads before closing.
 */
public final class UdpSocket implements AutoCloseable {

  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_NONBLOCK = 0x800;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_SNDBUF = 7;
  private static final int SO_RCVBUF = 8;
  private static final int SO_REUSEPORT = 15;
  private static final int SO_SNDBUFFORCE = 32;
  private static final int SO_RCVBUFFORCE = 33;

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
    int raw = NativeErrors.check("socket(AF_INET, SOCK_DGRAM)", lib.socket(NativeLayout.AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
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
      NativeLayout.putSockaddrIn(sa, 0, addr.toInt(), port);
      NativeErrors.check("bind " + addr + ":" + port, lib.bind(raw, sa, SOCKADDR_IN_SIZE));
      return s;
    } catch (NetlinkException | RuntimeException e) {
      s.close();
      throw e;
    }
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
    return NativeLayout.sockaddrInPort(sa, 0);
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

  /** Acquires the fd for a call, so a concurrent close cannot recycle the number under it. */
  private void checkOpen(String what) throws NetlinkException {
    if (!fd.acquire()) {
      throw NativeErrors.newException(what + ": socket closed", NativeErrors.EBADF, null);
    }
  }

  /**
   * Switches {@code UDP_GRO} on or off. On, one receive may return several same-flow datagrams
   * back to back in one slot, with their size in {@link UdpBatch#segmentSize(int)}: only for a
   * reader that splits them.
   *
   * @return false if the kernel refused (lacks it) or the socket is closed
   */
  public boolean setGro(boolean on) {
    ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, on ? 1 : 0);
    if (!fd.acquire()) {
      return false;
    }
    try {
      return libc.setsockopt(rawFd, SOL_UDP, UDP_GRO, b, 4) == 0;
    } finally {
      fd.release();
    }
  }

  /**
   * Returns whether the kernel knows {@code UDP_SEGMENT} (UDP GSO on send, see
   * {@link UdpBatch#setSegmentSize}), probed as wireguard-go does; false once closed.
   */
  public boolean supportsGso() {
    ByteBuffer value = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    ByteBuffer len = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 4);
    if (!fd.acquire()) {
      return false;
    }
    try {
      return libc.getsockopt(rawFd, SOL_UDP, UDP_SEGMENT, value, len) == 0;
    } finally {
      fd.release();
    }
  }

  /**
   * Sends slots {@code from .. from+count-1} of {@code batch}, each to its peer, as one
   * {@code sendmmsg(2)}: a slot's region is one datagram, or with a segment size a train of them.
   * Never blocks, and allocates nothing unless it throws; the kernel takes at most 1024 messages
   * per call.
   *
   * @return how many of the slots were sent (the first ones; call again with the rest), or 0 if
   *     the socket's send buffer is full (would block: wait for {@link Wakeup#POLLOUT})
   * @throws IllegalArgumentException if the slots are not all in the batch, or {@code count < 1}
   * @throws NetlinkException if the kernel refused slot {@code from}, which was not sent (nor any
   *     after it): e.g. EPERM (a firewall), ENETUNREACH, EMSGSIZE, or EIO for a segment size the
   *     route's device cannot offload; EBADF once closed
   */
  public int send(UdpBatch batch, int from, int count) throws NetlinkException {
    batch.checkRange(from, count);
    checkOpen("sendmmsg");
    try {
      batch.stageSend(from, count);
      int r = batch.vec().sendmmsg(rawFd, from, count);
      if (r < 0) {
        throw NativeErrors.newException("sendmmsg to " + batch.peerText(from) + " (slot " + from + ")", -r, null);
      }
      return r;
    } finally {
      fd.release();
    }
  }

  /**
   * Receives into all slots of {@code batch}: {@link #receive(UdpBatch, int, int) receive(batch,
   * 0, batch.slots())}.
   *
   * @return how many slots, from 0, hold a datagram now; 0 if none was queued (would block)
   * @throws NetlinkException if the receive fails (EBADF once closed)
   */
  public int receive(UdpBatch batch) throws NetlinkException {
    return receive(batch, 0, batch.slots());
  }

  /**
   * Receives up to {@code count} queued datagrams into slots {@code from ..} of {@code batch}
   * without waiting, as one {@code recvmmsg(2)}: each slot's region is the room for one datagram
   * (or, with {@link #setGro GRO} on, a train of them). Afterwards each filled slot gives the
   * {@link UdpBatch#receivedLength length}, whether it was {@link UdpBatch#truncated truncated},
   * the {@link UdpBatch#peerAddress sender} and the {@link UdpBatch#segmentSize GRO segment size}.
   * Never blocks, and allocates nothing unless it throws.
   *
   * @return how many slots, from {@code from}, hold a datagram now; 0 if none was queued (would
   *     block: wait for {@link Wakeup#POLLIN})
   * @throws IllegalArgumentException if the slots are not all in the batch, or {@code count < 1}
   * @throws NetlinkException if the receive fails (EBADF once closed)
   */
  public int receive(UdpBatch batch, int from, int count) throws NetlinkException {
    batch.checkRange(from, count);
    checkOpen("recvmmsg");
    try {
      batch.stageReceive(from, count);
      int r = batch.vec().recvmmsg(rawFd, from, count);
      if (r < 0) {
        throw NativeErrors.newException("recvmmsg", -r, null);
      }
      batch.received(from, r);
      return r;
    } finally {
      fd.release();
    }
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
