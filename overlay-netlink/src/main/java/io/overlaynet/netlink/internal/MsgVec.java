package io.overlaynet.netlink.internal;

import static io.overlaynet.netlink.internal.NativeLayout.CMSG_DATA;
import static io.overlaynet.netlink.internal.NativeLayout.CMSG_LEN_FIELD;
import static io.overlaynet.netlink.internal.NativeLayout.CMSG_LEVEL;
import static io.overlaynet.netlink.internal.NativeLayout.CMSG_TYPE;
import static io.overlaynet.netlink.internal.NativeLayout.IOVEC_SIZE;
import static io.overlaynet.netlink.internal.NativeLayout.IOV_BASE;
import static io.overlaynet.netlink.internal.NativeLayout.IOV_LEN;
import static io.overlaynet.netlink.internal.NativeLayout.MMSGHDR_SIZE;
import static io.overlaynet.netlink.internal.NativeLayout.MMSG_LEN;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_CONTROL;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_CONTROLLEN;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_FLAGS;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_IOV;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_IOVLEN;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_NAME;
import static io.overlaynet.netlink.internal.NativeLayout.MSG_NAMELEN;
import static io.overlaynet.netlink.internal.NativeLayout.SOCKADDR_IN_SIZE;
import static io.overlaynet.netlink.internal.NativeLayout.SOL_UDP;
import static io.overlaynet.netlink.internal.NativeLayout.UDP_GRO;
import static io.overlaynet.netlink.internal.NativeLayout.UDP_SEGMENT;

import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The native side of a datagram batch: {@code struct mmsghdr[n]}, then {@code struct iovec[n]},
 * {@code struct sockaddr_in[n]} and one control-message slot per message, in one native-order
 * direct buffer allocated once. Message {@code i} points at iovec {@code i} (one piece of
 * payload), sockaddr {@code i} and, when it carries one, control slot {@code i}. The
 * {@code stage*} methods fill one message before a call; the accessors read what
 * {@code recvmmsg} wrote. One thread at a time. Internal usage only.
 */
public final class MsgVec {

  /** Room for one control message with an int (UDP_GRO) or a u16 (UDP_SEGMENT). */
  private static final int CMSG_SLOT = NativeLayout.cmsgSpace(Integer.BYTES);

  private final int slots;
  private final ByteBuffer ctl;
  private final long base;
  private final int iovBase;
  private final int saBase;
  private final int cmsgBase;
  private final LibC libc = Native.libc();

  /**
   * Allocates and links the structs of {@code slots} messages.
   *
   * @throws UnsupportedOperationException if the runtime is not 64-bit Linux
   */
  public MsgVec(int slots) {
    NativeLayout.requireLp64();
    this.slots = slots;
    iovBase = slots * MMSGHDR_SIZE;
    saBase = iovBase + slots * IOVEC_SIZE;
    cmsgBase = saBase + slots * SOCKADDR_IN_SIZE;
    ctl = ByteBuffer.allocateDirect(cmsgBase + slots * CMSG_SLOT).order(ByteOrder.nativeOrder());
    base = Native.address(ctl);
    for (int i = 0; i < slots; i++) {
      int m = i * MMSGHDR_SIZE;
      ctl.putLong(m + MSG_NAME, base + saBase + (long) i * SOCKADDR_IN_SIZE);
      ctl.putLong(m + MSG_IOV, base + iovBase + (long) i * IOVEC_SIZE);
      ctl.putLong(m + MSG_IOVLEN, 1);
    }
  }

  /** Returns the number of messages. */
  public int slots() {
    return slots;
  }

  /**
   * Fills message {@code i} for sending: {@code len} bytes at native address {@code data} to
   * {@code addr:port} ({@code addr} as {@code Ip4.toInt()}), with a {@code UDP_SEGMENT} cmsg of
   * {@code segmentSize} when it is positive.
   */
  public void stageSend(int i, long data, int len, int addr, int port, int segmentSize) {
    int m = i * MMSGHDR_SIZE;
    int iov = iovBase + i * IOVEC_SIZE;
    ctl.putLong(iov + IOV_BASE, data);
    ctl.putLong(iov + IOV_LEN, len);
    NativeLayout.putSockaddrIn(ctl, saBase + i * SOCKADDR_IN_SIZE, addr, port);
    ctl.putInt(m + MSG_NAMELEN, SOCKADDR_IN_SIZE);
    if (segmentSize > 0) {
      int c = cmsgBase + i * CMSG_SLOT;
      ctl.putLong(c + CMSG_LEN_FIELD, NativeLayout.cmsgLen(Short.BYTES));
      ctl.putInt(c + CMSG_LEVEL, SOL_UDP);
      ctl.putInt(c + CMSG_TYPE, UDP_SEGMENT);
      ctl.putShort(c + CMSG_DATA, (short) segmentSize);
      ctl.putLong(m + MSG_CONTROL, base + c);
      ctl.putLong(m + MSG_CONTROLLEN, CMSG_SLOT);
    } else {
      ctl.putLong(m + MSG_CONTROL, 0);
      ctl.putLong(m + MSG_CONTROLLEN, 0);
    }
  }

  /**
   * Fills message {@code i} for receiving into {@code len} bytes at native address {@code data},
   * with room for the sender's address and one control message (the kernel rewrites both lengths
   * on every receive).
   */
  public void stageReceive(int i, long data, int len) {
    int m = i * MMSGHDR_SIZE;
    int iov = iovBase + i * IOVEC_SIZE;
    ctl.putLong(iov + IOV_BASE, data);
    ctl.putLong(iov + IOV_LEN, len);
    ctl.putInt(m + MSG_NAMELEN, SOCKADDR_IN_SIZE);
    ctl.putLong(m + MSG_CONTROL, base + cmsgBase + (long) i * CMSG_SLOT);
    ctl.putLong(m + MSG_CONTROLLEN, CMSG_SLOT);
    ctl.putInt(m + MSG_FLAGS, 0);
  }

  /**
   * {@code sendmmsg(2)} of messages {@code from .. from+count-1} on the non-blocking {@code fd},
   * retried on EINTR.
   *
   * @return the number sent, 0 if the socket would block (EAGAIN), or a negative errno
   */
  public int sendmmsg(int fd, int from, int count) {
    int r;
    do {
      r = libc.sendmmsg(fd, base + (long) from * MMSGHDR_SIZE, count, 0);
    } while (r < 0 && Native.errno() == NativeErrors.EINTR);
    return nonBlocking(r);
  }

  /**
   * {@code recvmmsg(2, MSG_DONTWAIT)} into messages {@code from .. from+count-1} on {@code fd},
   * retried on EINTR.
   *
   * @return the number received, 0 if none was queued (EAGAIN), or a negative errno
   */
  public int recvmmsg(int fd, int from, int count) {
    int r;
    do {
      r = libc.recvmmsg(fd, base + (long) from * MMSGHDR_SIZE, count, NativeLayout.MSG_DONTWAIT, 0);
    } while (r < 0 && Native.errno() == NativeErrors.EINTR);
    return nonBlocking(r);
  }

  /** Maps a call's result: a count stays, EAGAIN ("would block") becomes 0, another error -errno. */
  private static int nonBlocking(int r) {
    if (r >= 0) {
      return r;
    }
    int errno = Native.errno();
    return errno == NativeErrors.EAGAIN ? 0 : -errno;
  }

  /** Returns {@code msg_len} of message {@code i}: the bytes the last call moved. */
  public int messageLength(int i) {
    return ctl.getInt(i * MMSGHDR_SIZE + MMSG_LEN);
  }

  /** Returns {@code msg_flags} of received message {@code i}. */
  public int flags(int i) {
    return ctl.getInt(i * MMSGHDR_SIZE + MSG_FLAGS);
  }

  /** Returns the sender's address of received message {@code i}, as {@code Ip4.toInt()}. */
  public int peerAddress(int i) {
    return NativeLayout.sockaddrInAddr(ctl, saBase + i * SOCKADDR_IN_SIZE);
  }

  /** Returns the sender's port of received message {@code i}. */
  public int peerPort(int i) {
    return NativeLayout.sockaddrInPort(ctl, saBase + i * SOCKADDR_IN_SIZE);
  }

  /**
   * Returns the {@code UDP_GRO} segment size of received message {@code i}, or 0 if it came
   * without one (a single datagram).
   */
  public int groSegmentSize(int i) {
    int c = cmsgBase + i * CMSG_SLOT;
    if (ctl.getLong(i * MMSGHDR_SIZE + MSG_CONTROLLEN) >= NativeLayout.cmsgLen(Integer.BYTES)
        && ctl.getInt(c + CMSG_LEVEL) == SOL_UDP && ctl.getInt(c + CMSG_TYPE) == UDP_GRO) {
      return ctl.getInt(c + CMSG_DATA);
    }
    return 0;
  }
}
