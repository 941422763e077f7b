package io.overlaynet.netlink;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's {@code sd_notify}: one datagram to the AF_UNIX socket named by {@code $NOTIFY_SOCKET},
 * so an agent runs under a {@code Type=notify} unit. The JDK has no AF_UNIX datagram sockets
 * (nor abstract names, written {@code @name}), hence this small native helper.
 *
 * <pre>{@code
 * SdNotify.ready();   // after subnet.env is written, as flanneld does
 * }</pre>
 */
public final class SdNotify {

  private static final Logger log = LoggerFactory.getLogger(SdNotify.class);
  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_SNDTIMEO = 21; // asm-generic, as x86-64 and arm64
  private static final int MSG_NOSIGNAL = 0x4000;
  private static final int MAX_PATH = 108;
  /** How long a send may wait for room in the receiver's queue (see {@link #notify}). */
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(1);

  private SdNotify() {}

  /**
   * Sends {@code READY=1} if {@code $NOTIFY_SOCKET} is set; failures are only logged, as
   * flanneld does, because the agent works without systemd.
   *
   * @return whether a notification was sent
   */
  public static boolean ready() {
    String socket = System.getenv("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return false;
    }
    try {
      notify(socket, "READY=1");
      return true;
    } catch (NetlinkException | IllegalArgumentException e) {
      log.warn("Failed to notify systemd ({}): {}", socket, e.getMessage());
      return false;
    }
  }

  /**
   * Sends {@code state} (e.g. {@code READY=1}) to the notification socket at {@code socketPath}
   * ({@code @name} for an abstract socket). A datagram socket blocks while the receiver's queue is
   * full; this waits at most a second for room, then fails with {@code EAGAIN}.
   *
   * @throws NetlinkException if the socket cannot be reached or has no room
   * @throws IllegalArgumentException if the path is empty or longer than a socket address holds
   */
  public static void notify(String socketPath, String state) throws NetlinkException {
    byte[] path = socketPath.getBytes(StandardCharsets.UTF_8);
    if (path.length == 0 || path.length >= MAX_PATH) {
      throw new IllegalArgumentException("invalid notification socket path: " + socketPath);
    }
    boolean abstractName = path[0] == '@';
    ByteBuffer addr = ByteBuffer.allocateDirect(2 + MAX_PATH).order(ByteOrder.nativeOrder());
    addr.putShort((short) AF_UNIX);
    if (abstractName) {
      addr.put((byte) 0).put(path, 1, path.length - 1);
    } else {
      addr.put(path).put((byte) 0);
    }
    int addrLen = addr.position();
    addr.flip();
    byte[] msg = state.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocateDirect(msg.length).put(msg).flip();
    LibC libc = Native.libc();
    int fd = NativeErrors.check("socket(AF_UNIX, SOCK_DGRAM)", libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    try {
      // The kernel queues at most net.unix.max_dgram_qlen (often 10) datagrams per receiver and
      // then blocks the sender, in a native call nothing can interrupt: a wedged receiver must
      // not hang the caller (the watchdog pinger, the agent's start-up) for good.
      NativeErrors.check("setsockopt(SO_SNDTIMEO)", libc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeval(SEND_TIMEOUT),
          2 * Native.longSize()));
      NativeErrors.check("connect(" + socketPath + ")", libc.connect(fd, addr, addrLen));
      NativeErrors.check("send(" + socketPath + ")", libc.send(fd, buf, msg.length, MSG_NOSIGNAL));
    } finally {
      libc.close(fd);
    }
  }

  /** A {@code struct timeval}: two native longs, seconds and microseconds. */
  private static ByteBuffer timeval(Duration d) {
    ByteBuffer tv = ByteBuffer.allocateDirect(2 * Native.longSize()).order(ByteOrder.nativeOrder());
    long micros = d.toNanos() / 1_000 % 1_000_000;
    if (Native.longSize() == 8) {
      tv.putLong(d.toSeconds()).putLong(micros);
    } else {
      tv.putInt((int) d.toSeconds()).putInt((int) micros);
    }
    return tv.flip();
  }
}
