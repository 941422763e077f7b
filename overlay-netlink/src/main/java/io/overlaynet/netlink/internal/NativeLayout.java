package io.overlaynet.netlink.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The C structs that the batched socket and TUN calls hand to the kernel, as laid out on 64-bit
 * Linux (LP64: pointers, {@code size_t} and {@code long} are 8 bytes, {@code int} and
 * {@code socklen_t} 4), and the ABI constants stored in them. Every offset is computed here from
 * the member sizes and C's natural alignment; nothing else in the module writes a struct offset.
 * Code that uses these layouts calls {@link #requireLp64()} first, so a 32-bit runtime fails
 * with a clear message instead of corrupting memory. Internal usage only.
 */
public final class NativeLayout {

  /** {@code sizeof(void *)} and {@code sizeof(size_t)} on LP64. */
  public static final int POINTER = 8;
  private static final int INT = 4;

  // struct iovec { void *iov_base; size_t iov_len; }
  /** {@code iovec.iov_base}. */ public static final int IOV_BASE = 0;
  /** {@code iovec.iov_len}. */ public static final int IOV_LEN = IOV_BASE + POINTER;
  /** {@code sizeof(struct iovec)}. */ public static final int IOVEC_SIZE = IOV_LEN + POINTER;

  // struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
  //                 void *msg_control; size_t msg_controllen; int msg_flags; }
  /** {@code msghdr.msg_name}. */ public static final int MSG_NAME = 0;
  /** {@code msghdr.msg_namelen}. */ public static final int MSG_NAMELEN = MSG_NAME + POINTER;
  /** {@code msghdr.msg_iov}. */ public static final int MSG_IOV = align(MSG_NAMELEN + INT, POINTER);
  /** {@code msghdr.msg_iovlen}. */ public static final int MSG_IOVLEN = MSG_IOV + POINTER;
  /** {@code msghdr.msg_control}. */ public static final int MSG_CONTROL = MSG_IOVLEN + POINTER;
  /** {@code msghdr.msg_controllen}. */ public static final int MSG_CONTROLLEN = MSG_CONTROL + POINTER;
  /** {@code msghdr.msg_flags}. */ public static final int MSG_FLAGS = MSG_CONTROLLEN + POINTER;
  /** {@code sizeof(struct msghdr)}. */ public static final int MSGHDR_SIZE = align(MSG_FLAGS + INT, POINTER);

  // struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }
  /** {@code mmsghdr.msg_len}: bytes sent or received for this message. */ public static final int MMSG_LEN = MSGHDR_SIZE;
  /** {@code sizeof(struct mmsghdr)}. */ public static final int MMSGHDR_SIZE = align(MMSG_LEN + INT, POINTER);

  // struct sockaddr_in { sa_family_t sin_family; in_port_t sin_port; struct in_addr sin_addr; char sin_zero[8]; }
  /** {@code sockaddr_in.sin_family} (host order). */ public static final int SIN_FAMILY = 0;
  /** {@code sockaddr_in.sin_port} (network order). */ public static final int SIN_PORT = 2;
  /** {@code sockaddr_in.sin_addr} (network order). */ public static final int SIN_ADDR = 4;
  /** {@code sizeof(struct sockaddr_in)}. */ public static final int SOCKADDR_IN_SIZE = 16;

  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by the data
  /** {@code cmsghdr.cmsg_len}. */ public static final int CMSG_LEN_FIELD = 0;
  /** {@code cmsghdr.cmsg_level}. */ public static final int CMSG_LEVEL = CMSG_LEN_FIELD + POINTER;
  /** {@code cmsghdr.cmsg_type}. */ public static final int CMSG_TYPE = CMSG_LEVEL + INT;
  /** {@code CMSG_DATA} offset: the header, aligned. */ public static final int CMSG_DATA = align(CMSG_TYPE + INT, POINTER);

  /** {@code AF_INET}. */ public static final int AF_INET = 2;
  /** {@code SOL_UDP}, the cmsg level (and sockopt level) of {@link #UDP_SEGMENT} and {@link #UDP_GRO}. */
  public static final int SOL_UDP = 17;
  /** {@code UDP_SEGMENT}: UDP GSO, a u16 segment size as sockopt or cmsg (Linux 4.18). */ public static final int UDP_SEGMENT = 103;
  /** {@code UDP_GRO}: coalesced same-flow datagrams, an int segment size in a cmsg (Linux 5.0). */ public static final int UDP_GRO = 104;
  /** {@code MSG_TRUNC} in {@code msg_flags}: the datagram was larger than the buffer. */ public static final int MSG_TRUNC = 0x20;
  /** {@code MSG_DONTWAIT}. */ public static final int MSG_DONTWAIT = 0x40;
  /** {@code IOV_MAX}: the most iovecs one {@code writev} takes (and the most messages one {@code sendmmsg} sends). */
  public static final int IOV_MAX = 1024;

  private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private NativeLayout() {}

  /** Rounds {@code n} up to a multiple of {@code alignment} (a power of two). */
  public static int align(int n, int alignment) {
    return (n + alignment - 1) & -alignment;
  }

  /** {@code CMSG_LEN(dataLen)}: the {@code cmsg_len} of a control message with that much data. */
  public static int cmsgLen(int dataLen) {
    return CMSG_DATA + dataLen;
  }

  /** {@code CMSG_SPACE(dataLen)}: the room a control message with that much data takes. */
  public static int cmsgSpace(int dataLen) {
    return CMSG_DATA + align(dataLen, POINTER);
  }

  /**
   * Checks that this JVM's native sizes are the ones these layouts assume.
   *
   * @throws UnsupportedOperationException on a runtime that is not LP64 (e.g. 32-bit), or without the libc binding
   */
  public static void requireLp64() {
    String problem = Lp64.PROBLEM;
    if (problem != null) {
      throw new UnsupportedOperationException(problem);
    }
  }

  /** Returns why the layouts do not fit a runtime with these sizes (in bytes), or null if they do. */
  static String problem(int addressSize, int longSize) {
    if (addressSize == POINTER && longSize == POINTER) {
      return null;
    }
    return "the native struct layouts (msghdr, mmsghdr, iovec, cmsghdr) are those of 64-bit Linux, but this runtime"
        + " has " + addressSize + "-byte pointers and " + longSize + "-byte longs";
  }

  /** Computed on first use, so a missing libc binding is reported by the check, not as a class-init error. */
  private static final class Lp64 {
    static final String PROBLEM = compute();

    private static String compute() {
      if (Native.loadFailure() != null) {
        return "libc binding unavailable: " + Native.loadFailure();
      }
      return problem(Native.addressSize(), Native.longSize());
    }
  }

  /**
   * Writes a {@code struct sockaddr_in} at {@code off} of a native-order buffer: family in host
   * order, port and address ({@code addr} as {@code Ip4.toInt()}, i.e. big-endian) in network order.
   */
  public static void putSockaddrIn(ByteBuffer nativeOrder, int off, int addr, int port) {
    nativeOrder.putShort(off + SIN_FAMILY, (short) AF_INET);
    nativeOrder.putShort(off + SIN_PORT, LITTLE ? Short.reverseBytes((short) port) : (short) port);
    nativeOrder.putInt(off + SIN_ADDR, LITTLE ? Integer.reverseBytes(addr) : addr);
    nativeOrder.putLong(off + SIN_ADDR + INT, 0);
  }

  /** Returns the address of the {@code struct sockaddr_in} at {@code off} of a native-order buffer, as {@code Ip4.toInt()}. */
  public static int sockaddrInAddr(ByteBuffer nativeOrder, int off) {
    int v = nativeOrder.getInt(off + SIN_ADDR);
    return LITTLE ? Integer.reverseBytes(v) : v;
  }

  /** Returns the port of the {@code struct sockaddr_in} at {@code off} of a native-order buffer. */
  public static int sockaddrInPort(ByteBuffer nativeOrder, int off) {
    short v = nativeOrder.getShort(off + SIN_PORT);
    return Short.toUnsignedInt(LITTLE ? Short.reverseBytes(v) : v);
  }
}
