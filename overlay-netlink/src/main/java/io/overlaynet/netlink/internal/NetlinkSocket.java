package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.codec.NetlinkConstants;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A non-blocking {@code NETLINK_ROUTE} socket with a wake-up fd: every receive is bounded by a
 * timeout and {@link #close()} wakes a blocked receiver at once. The socket lives in the network
 * namespace of the thread that opened it. Internal usage only.
 */
public final class NetlinkSocket implements AutoCloseable {

  private static final int SOCK_RAW = 3;
  private static final int SOCK_NONBLOCK = 0x800;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_SNDBUF = 7;
  private static final int SO_RCVBUF = 8;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int MSG_DONTWAIT = 0x40;
  private static final int MSG_TRUNC = 0x20;
  /** Large enough for bursts of acks in a pipelined batch and for event storms. */
  private static final int RCVBUF = 4 << 20;

  private final FileDescriptor fd;
  private final WakeupFd wake;
  private final int portId;
  private final Poller recvPoller = new Poller();
  private final Poller sendPoller = new Poller();

  private NetlinkSocket(FileDescriptor fd, WakeupFd wake, int portId) {
    this.fd = fd;
    this.wake = wake;
    this.portId = portId;
  }

  /**
   * Opens a socket in the calling thread's namespace, bound to the multicast {@code groups}
   * ({@code RTMGRP_*} bitmask, 0 for a request socket), with extended acks and capped acks.
   *
   * @throws NetlinkException if a call fails
   */
  public static NetlinkSocket open(int groups) throws NetlinkException {
    LibC libc = Native.libc();
    int raw = NativeErrors.check("socket(AF_NETLINK, NETLINK_ROUTE)",
        libc.socket(NetlinkConstants.AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NetlinkConstants.NETLINK_ROUTE));
    FileDescriptor fd = FileDescriptor.of(raw);
    try {
      ByteBuffer opt = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
      opt.putInt(0, 1);
      // Extended acks carry the kernel's error text; capped acks keep batch acks small.
      libc.setsockopt(raw, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_EXT_ACK, opt, 4);
      libc.setsockopt(raw, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_CAP_ACK, opt, 4);
      opt.putInt(0, RCVBUF);
      if (libc.setsockopt(raw, SOL_SOCKET, SO_RCVBUFFORCE, opt, 4) < 0) {
        // Without CAP_NET_ADMIN the kernel caps this at net.core.rmem_max: still fine.
        libc.setsockopt(raw, SOL_SOCKET, SO_RCVBUF, opt, 4);
      }
      opt.putInt(0, 1 << 20);
      libc.setsockopt(raw, SOL_SOCKET, SO_SNDBUF, opt, 4);

      ByteBuffer addr = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder());
      addr.putShort(0, (short) NetlinkConstants.AF_NETLINK).putShort(2, (short) 0).putInt(4, 0).putInt(8, groups);
      NativeErrors.check("bind(AF_NETLINK)", libc.bind(raw, addr, 12));
      ByteBuffer len = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 12);
      NativeErrors.check("getsockname(AF_NETLINK)", libc.getsockname(raw, addr, len));
      int portId = addr.getInt(4);
      return new NetlinkSocket(fd, WakeupFd.create(), portId);
    } catch (NetlinkException | RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /** Returns the port id the kernel assigned ({@code nl_pid}); replies carry it. */
  public int portId() {
    return portId;
  }

  /** Returns whether {@link #close()} has not been called. */
  public boolean isOpen() {
    return fd.isOpen();
  }

  /**
   * Sends the bytes between position and limit as one datagram (which may hold several
   * messages); the position is moved to the limit.
   *
   * @throws NetlinkException if sending fails, times out after {@code timeoutMillis}, or the
   *     socket is closed
   */
  public void send(ByteBuffer buf, long timeoutMillis) throws NetlinkException {
    if (!acquireBoth()) {
      throw closed("send");
    }
    try {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      while (true) {
        long n = Native.libc().send(fd.intValue(), buf, buf.remaining(), MSG_DONTWAIT);
        if (n >= 0) {
          buf.position(buf.position() + (int) n);
          return;
        }
        int errno = Native.errno();
        if (errno == NativeErrors.EINTR) {
          continue;
        }
        if (errno != NativeErrors.EAGAIN) {
          throw NativeErrors.newException("send(netlink)", errno, null);
        }
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        Poller.Result r = left <= 0 ? Poller.Result.TIMEOUT
            : sendPoller.await(fd.intValue(), Poller.POLLOUT, wake.fd().intValue(), left);
        if (r == Poller.Result.TIMEOUT) {
          throw NativeErrors.newException("send(netlink)", NativeErrors.ETIMEDOUT, null);
        }
        if (r == Poller.Result.WOKEN) {
          throw closed("send");
        }
      }
    } finally {
      releaseBoth();
    }
  }

  /**
   * Receives one datagram into {@code buf} (cleared first; afterwards position 0 and limit the
   * datagram's length). Waits at most {@code timeoutMillis}.
   *
   * @return the number of bytes, 0 on timeout, -1 if the socket was closed
   * @throws NetlinkException if recv fails (ENOBUFS means notifications were lost) or the
   *     datagram did not fit
   */
  public int receive(ByteBuffer buf, long timeoutMillis) throws NetlinkException {
    if (!acquireBoth()) {
      return -1;
    }
    try {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      while (true) {
        buf.clear();
        long n = Native.libc().recv(fd.intValue(), buf, buf.capacity(), MSG_DONTWAIT | MSG_TRUNC);
        if (n >= 0) {
          if (n > buf.capacity()) {
            throw new IllegalStateException("netlink datagram of " + n + " bytes exceeds buffer " + buf.capacity());
          }
          buf.limit((int) n);
          return (int) n;
        }
        int errno = Native.errno();
        if (errno == NativeErrors.EINTR) {
          continue;
        }
        if (errno != NativeErrors.EAGAIN) {
          throw NativeErrors.newException("recv(netlink)", errno, null);
        }
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return 0;
        }
        Poller.Result r = recvPoller.await(fd.intValue(), Poller.POLLIN, wake.fd().intValue(), left);
        if (r == Poller.Result.WOKEN) {
          return -1;
        }
      }
    } finally {
      releaseBoth();
    }
  }

  /** Holds both fds so neither number can be recycled while this thread polls them. */
  private boolean acquireBoth() {
    if (!fd.acquire()) {
      return false;
    }
    if (!wake.fd().acquire()) {
      fd.release();
      return false;
    }
    return true;
  }

  private void releaseBoth() {
    wake.fd().release();
    fd.release();
  }

  private static NetlinkException closed(String op) {
    return NativeErrors.newException(op + ": netlink socket closed", NativeErrors.EBADF, null);
  }

  /** Closes the socket and wakes any thread waiting in it; idempotent, never blocks. */
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
    return "NetlinkSocket{" + fd + ", portId=" + portId + "}";
  }
}
