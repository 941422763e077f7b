package io.overlaynet.udp.internal;

import jnr.ffi.LibraryLoader;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls of the udp data path, bound with jnr-ffi: a UDP socket with batched I/O
 * ({@code sendmmsg}/{@code recvmmsg}, which overlay-netlink does not offer) and raw
 * {@code read}/{@code write}/{@code poll} on native addresses, so a batch of packets costs one
 * system call and no copy between Java and native memory. Every pointer is a native address
 * ({@code intptr_t}); every call returns -1 and sets errno on failure. Internal usage only; the
 * project keeps native code in overlay-netlink, so this interface is deliberately small.
 */
public interface SocketLib {

  /** {@code AF_INET}. */ int AF_INET = 2;
  /** {@code SOCK_DGRAM}. */ int SOCK_DGRAM = 2;
  /** {@code SOCK_NONBLOCK}. */ int SOCK_NONBLOCK = 0x800;
  /** {@code SOCK_CLOEXEC}. */ int SOCK_CLOEXEC = 0x80000;
  /** {@code SOL_SOCKET}. */ int SOL_SOCKET = 1;
  /** {@code SO_REUSEADDR}. */ int SO_REUSEADDR = 2;
  /** {@code SO_SNDBUF}. */ int SO_SNDBUF = 7;
  /** {@code SO_RCVBUF}. */ int SO_RCVBUF = 8;
  /** {@code SO_REUSEPORT}. */ int SO_REUSEPORT = 15;
  /** {@code SO_SNDBUFFORCE} (needs CAP_NET_ADMIN; ignores {@code wmem_max}). */ int SO_SNDBUFFORCE = 32;
  /** {@code SO_RCVBUFFORCE} (needs CAP_NET_ADMIN; ignores {@code rmem_max}). */ int SO_RCVBUFFORCE = 33;
  /** {@code SOL_UDP}. */ int SOL_UDP = 17;
  /** {@code UDP_SEGMENT}: UDP GSO, a u16 segment size as sockopt or cmsg (Linux 4.18). */ int UDP_SEGMENT = 103;
  /** {@code UDP_GRO}: receive coalesced same-flow datagrams, segment size in a cmsg (Linux 5.0). */ int UDP_GRO = 104;
  /** {@code MSG_DONTWAIT}. */ int MSG_DONTWAIT = 0x40;
  /** {@code MSG_TRUNC} (in {@code msg_flags}: the datagram was larger than the buffer). */ int MSG_TRUNC = 0x20;
  /** {@code POLLIN}. */ short POLLIN = 0x1;
  /** {@code POLLOUT}. */ short POLLOUT = 0x4;
  /** {@code EFD_NONBLOCK|EFD_CLOEXEC}. */ int EFD_FLAGS = 0x800 | 0x80000;
  /** {@code EINTR}. */ int EINTR = 4;
  /** {@code EIO} (UDP GSO on a device without checksum offload). */ int EIO = 5;
  /** {@code EAGAIN}. */ int EAGAIN = 11;
  /** {@code ENOBUFS}. */ int ENOBUFS = 105;

  /** Creates a socket: {@code socket(2)}. */
  int socket(int domain, int type, int protocol);

  /** Binds a socket to the {@code sockaddr} at {@code addr}: {@code bind(2)}. */
  int bind(int fd, @intptr_t long addr, int addrLen);

  /** Sets a socket option from {@code value}: {@code setsockopt(2)}. */
  int setsockopt(int fd, int level, int option, @intptr_t long value, int valueLen);

  /** Reads a socket option: {@code getsockopt(2)}; {@code valueLen} points to a socklen_t. */
  int getsockopt(int fd, int level, int option, @intptr_t long value, @intptr_t long valueLen);

  /** Sends a batch of datagrams: {@code sendmmsg(2)} over a {@code struct mmsghdr[]}. */
  int sendmmsg(int fd, @intptr_t long msgvec, int vlen, int flags);

  /** Receives a batch of datagrams: {@code recvmmsg(2)}; {@code timeout} may be 0 (NULL). */
  int recvmmsg(int fd, @intptr_t long msgvec, int vlen, int flags, @intptr_t long timeout);

  /** Waits for fds: {@code poll(2)} over a {@code struct pollfd[]}. */
  int poll(@intptr_t long fds, long nfds, int timeoutMillis);

  /** Reads from an fd into native memory: {@code read(2)}. */
  @ssize_t long read(int fd, @intptr_t long buf, @size_t long len);

  /** Writes an {@code iovec[]} to an fd as one packet for a TUN device: {@code writev(2)}. */
  @ssize_t long writev(int fd, @intptr_t long iov, int iovcnt);

  /** Sends one datagram to the {@code sockaddr} at {@code addr}: {@code sendto(2)}. */
  @ssize_t long sendto(int fd, @intptr_t long buf, @size_t long len, int flags, @intptr_t long addr, int addrLen);

  /** Writes native memory to an fd: {@code write(2)}. */
  @ssize_t long write(int fd, @intptr_t long buf, @size_t long len);

  /** Opens a file: {@code open(2)} (for {@code /dev/net/tun} with {@code IFF_VNET_HDR}). */
  int open(String path, int flags);

  /** Device control with a pointer or integer argument: {@code ioctl(2)}. */
  int ioctl(int fd, long request, @intptr_t long arg);

  /** Creates an eventfd: {@code eventfd(2)}. */
  int eventfd(int initval, int flags);

  /** Closes an fd: {@code close(2)}. */
  int close(int fd);

  /** Loads the binding once. */
  final class Holder {
    private Holder() {}

    /** The binding. */
    static final SocketLib LIBC = LibraryLoader.create(SocketLib.class).load("c");
    /** The runtime, for errno. */
    static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
  }

  /** Returns the binding. */
  static SocketLib libc() {
    return Holder.LIBC;
  }

  /** Returns errno of the calling thread's last call through this binding. */
  static int errno() {
    return Holder.RUNTIME.getLastError();
  }

  /** Returns the native address of a direct buffer's first byte (index 0, not position). */
  static long address(java.nio.ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("not a direct buffer");
    }
    return com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(direct);
  }
}
