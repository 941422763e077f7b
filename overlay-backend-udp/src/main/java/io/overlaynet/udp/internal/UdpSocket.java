package io.overlaynet.udp.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A non-blocking, close-on-exec IPv4 UDP socket made with {@code socket(2)} in the calling
 * thread's network namespace, for batched I/O by the data path. Internal usage only.
 */
public final class UdpSocket implements AutoCloseable {

  private final int fd;
  private boolean closed;

  private UdpSocket(int fd) {
    this.fd = fd;
  }

  /**
   * Opens a socket bound to {@code addr:port} ({@code addr} a big-endian int) with send and
   * receive buffers of {@code bufferBytes} (forced past the sysctl limits when privileged: a
   * userspace tunnel needs deep buffers to ride out scheduling gaps without loss).
   *
   * @param reusePort set {@code SO_REUSEPORT} so several sockets (one per queue) share the port
   * @throws IOException if the socket cannot be made or bound (e.g. the port is in use)
   */
  public static UdpSocket bind(int addr, int port, int bufferBytes, boolean reusePort) throws IOException {
    SocketLib lib = SocketLib.libc();
    int fd = lib.socket(SocketLib.AF_INET, SocketLib.SOCK_DGRAM | SocketLib.SOCK_NONBLOCK | SocketLib.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw Errors.io("socket(AF_INET, SOCK_DGRAM)", SocketLib.errno());
    }
    UdpSocket s = new UdpSocket(fd);
    try {
      ByteBuffer opt = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
      long optAddr = SocketLib.address(opt);
      if (reusePort) {
        opt.putInt(0, 1);
        check(lib.setsockopt(fd, SocketLib.SOL_SOCKET, SocketLib.SO_REUSEPORT, optAddr, 4), "setsockopt(SO_REUSEPORT)");
      }
      opt.putInt(0, bufferBytes);
      if (lib.setsockopt(fd, SocketLib.SOL_SOCKET, SocketLib.SO_RCVBUFFORCE, optAddr, 4) < 0) {
        lib.setsockopt(fd, SocketLib.SOL_SOCKET, SocketLib.SO_RCVBUF, optAddr, 4); // unprivileged: capped by rmem_max
      }
      if (lib.setsockopt(fd, SocketLib.SOL_SOCKET, SocketLib.SO_SNDBUFFORCE, optAddr, 4) < 0) {
        lib.setsockopt(fd, SocketLib.SOL_SOCKET, SocketLib.SO_SNDBUF, optAddr, 4);
      }
      ByteBuffer sa = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
      writeSockaddr(sa, 0, addr, port);
      check(lib.bind(fd, SocketLib.address(sa), 16), "bind " + Errors.ip(addr) + ":" + port);
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Writes a {@code struct sockaddr_in} at {@code off} of a native-order buffer: family in host
   * order, port and address in network order.
   */
  static void writeSockaddr(ByteBuffer nativeOrder, int off, int addr, int port) {
    boolean little = nativeOrder.order() == ByteOrder.LITTLE_ENDIAN;
    nativeOrder.putShort(off, (short) SocketLib.AF_INET);
    nativeOrder.putShort(off + 2, little ? Short.reverseBytes((short) port) : (short) port);
    nativeOrder.putInt(off + 4, little ? Integer.reverseBytes(addr) : addr);
    nativeOrder.putLong(off + 8, 0);
  }

  /** Reads the big-endian address of a {@code sockaddr_in} at {@code off} of a native-order buffer. */
  static int readSockaddrAddr(ByteBuffer nativeOrder, int off) {
    int v = nativeOrder.getInt(off + 4);
    return nativeOrder.order() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
  }

  /** Returns the socket option {@code option} at level SOL_SOCKET, e.g. the buffer size. */
  public int socketOption(int option) throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    long a = SocketLib.address(b);
    b.putInt(4, 4);
    check(SocketLib.libc().getsockopt(fd, SocketLib.SOL_SOCKET, option, a, a + 4), "getsockopt");
    return b.getInt(0);
  }

  /**
   * Switches {@code UDP_GRO} on or off. On, one receive may return several same-flow datagrams
   * back to back, with their size in a {@code UDP_GRO} cmsg: only for a reader of that cmsg.
   *
   * @return false if the kernel refused (lacks it)
   */
  public boolean setGro(boolean on) {
    ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, on ? 1 : 0);
    return SocketLib.libc().setsockopt(fd, SocketLib.SOL_UDP, SocketLib.UDP_GRO, SocketLib.address(b), 4) == 0;
  }

  /** Returns whether the kernel knows {@code UDP_SEGMENT} (UDP GSO on send), as wireguard-go probes it. */
  public boolean supportsGso() {
    ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    long a = SocketLib.address(b);
    b.putInt(4, 4);
    return SocketLib.libc().getsockopt(fd, SocketLib.SOL_UDP, SocketLib.UDP_SEGMENT, a, a + 4) == 0;
  }

  private static void check(int rc, String what) throws IOException {
    if (rc < 0) {
      throw Errors.io(what, SocketLib.errno());
    }
  }

  /** Returns the fd; valid until {@link #close()}. */
  public int fd() {
    return fd;
  }

  /** Closes the socket; idempotent. Callers stop the threads using the fd first. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      SocketLib.libc().close(fd);
    }
  }

  @Override
  public String toString() {
    return "UdpSocket{fd=" + fd + (closed ? ", closed" : "") + "}";
  }
}
