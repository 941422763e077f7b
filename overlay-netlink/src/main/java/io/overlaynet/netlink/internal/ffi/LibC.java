package io.overlaynet.netlink.internal.ffi;

import java.nio.ByteBuffer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc functions this module needs, bound with jnr-ffi. Internal usage only.
 *
 * <p>jnr-posix has no {@code socket}, {@code bind}, {@code ioctl}, {@code setns} or
 * {@code unshare}, so the module declares its own (as jnr-unixsocket does). Every function
 * returns -1 and sets errno on failure; callers pass the result to {@link io.overlaynet.netlink.internal.NativeErrors}.
 *
 * <p>Direct {@link ByteBuffer}s are passed without copying, starting at their position; the
 * call never moves position or limit, so callers set them from the return value.
 *
 * <p>The overloads taking an {@code @intptr_t long} take a raw native address instead (see
 * {@link io.overlaynet.netlink.internal.Native#address}): the structs that batched calls take
 * ({@code mmsghdr[]}, {@code iovec[]}, {@code pollfd[]}) are laid out once in a direct buffer
 * whose address is looked up once ({@link io.overlaynet.netlink.internal.MsgVec},
 * {@link io.overlaynet.netlink.internal.IoVec}). Only this internal layer passes addresses; no
 * public method takes or returns one.
 */
public interface LibC {

  /** Creates a socket: {@code socket(2)}. */
  int socket(int domain, int type, int protocol);

  /** Binds a socket: {@code bind(2)}. */
  int bind(int fd, @In ByteBuffer addr, int addrLen);

  /** Connects a socket: {@code connect(2)}. */
  int connect(int fd, @In ByteBuffer addr, int addrLen);

  /** Reads a socket's bound address: {@code getsockname(2)}. */
  int getsockname(int fd, @Out ByteBuffer addr, @In @Out ByteBuffer addrLen);

  /** Sets a socket option: {@code setsockopt(2)}. */
  int setsockopt(int fd, int level, int option, @In ByteBuffer value, int valueLen);

  /** Sends on a socket: {@code send(2)}. */
  @ssize_t long send(int fd, @In ByteBuffer buf, @size_t long len, int flags);

  /** Receives from a socket: {@code recv(2)}. */
  @ssize_t long recv(int fd, @Out ByteBuffer buf, @size_t long len, int flags);

  /** Waits for fds: {@code poll(2)} over a {@code struct pollfd[]}. */
  int poll(@In @Out ByteBuffer fds, long nfds, int timeoutMillis);

  /** Creates an eventfd: {@code eventfd(2)}. */
  int eventfd(int initval, int flags);

  /** Device control with a pointer argument: {@code ioctl(2)}. */
  int ioctl(int fd, long request, @In @Out ByteBuffer arg);

  /** Opens a file: {@code open(2)}. */
  int open(String path, int flags);

  /** Closes an fd: {@code close(2)}. */
  int close(int fd);

  /** Reads from an fd: {@code read(2)}. */
  @ssize_t long read(int fd, @Out ByteBuffer buf, @size_t long len);

  /** Writes to an fd: {@code write(2)}. */
  @ssize_t long write(int fd, @In ByteBuffer buf, @size_t long len);

  /** Moves the calling thread into a namespace: {@code setns(2)}. */
  int setns(int fd, int nstype);

  /** Moves the calling thread into new namespaces: {@code unshare(2)}. */
  int unshare(int flags);

  /** Mounts a filesystem: {@code mount(2)}. */
  int mount(String source, String target, String fstype, long flags, String data);

  /** Unmounts: {@code umount2(2)}. */
  int umount2(String target, int flags);

  /** Returns the calling thread's id: {@code gettid(2)}. */
  int gettid();

  /** Reads a socket option: {@code getsockopt(2)}; {@code valueLen} holds a socklen_t. */
  int getsockopt(int fd, int level, int option, @Out ByteBuffer value, @In @Out ByteBuffer valueLen);

  /** Sends a batch of datagrams: {@code sendmmsg(2)} over a {@code struct mmsghdr[]} at {@code msgvec}. */
  int sendmmsg(int fd, @intptr_t long msgvec, int vlen, int flags);

  /** Receives a batch of datagrams: {@code recvmmsg(2)}; {@code timeout} may be 0 (NULL). */
  int recvmmsg(int fd, @intptr_t long msgvec, int vlen, int flags, @intptr_t long timeout);

  /** Waits for fds: {@code poll(2)} over a {@code struct pollfd[]} at a native address. */
  int poll(@intptr_t long fds, long nfds, int timeoutMillis);

  /** Reads from an fd into native memory: {@code read(2)}. */
  @ssize_t long read(int fd, @intptr_t long buf, @size_t long len);

  /** Writes native memory to an fd: {@code write(2)}. */
  @ssize_t long write(int fd, @intptr_t long buf, @size_t long len);

  /** Writes an {@code iovec[]} to an fd (one packet for a TUN device): {@code writev(2)}. */
  @ssize_t long writev(int fd, @intptr_t long iov, int iovcnt);

  /** Device control with an integer argument: {@code ioctl(2)} (e.g. {@code TUNSETOFFLOAD}). */
  int ioctl(int fd, long request, @intptr_t long arg);
}
