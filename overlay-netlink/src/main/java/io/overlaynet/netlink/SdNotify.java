package io.overlaynet.netlink;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's {@code sd_notify}: one datagram to the AF_UNIX socket named by {@code $NOTIFY_SOCKET},
 * so an agent runs under a {@code Type=notify} unit, shows a status line in {@code systemctl
 * status} and keeps a {@code WatchdogSec=} watchdog fed. The JDK has no AF_UNIX datagram sockets
 * (nor abstract names, written {@code @name}), hence this small native helper.
 *
 * <pre>{@code
 * SdNotify.status("Connecting to etcd http://127.0.0.1:2379");
 * SdNotify.ready();   // after subnet.env is written, as flanneld does
 * SdNotify.watchdogInterval().ifPresent(timeout -> {
 *   // call SdNotify.watchdog() every timeout / 2 while the service is healthy
 * });
 * }</pre>
 *
 * <p>Without {@code $NOTIFY_SOCKET} (not started by systemd) every notification is a no-op.
 */
public final class SdNotify {

  /** The message that feeds the service watchdog, {@code WATCHDOG=1}. */
  public static final String WATCHDOG = "WATCHDOG=1";

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
  /**
   * The longest status text sent. systemd reads a notification into a buffer of PIPE_BUF (4096)
   * bytes and drops a longer datagram whole; a status line is meant to be short anyway.
   */
  static final int MAX_STATUS_CHARS = 1000;

  private SdNotify() {}

  /**
   * Sends {@code READY=1} if {@code $NOTIFY_SOCKET} is set; failures are only logged, as
   * flanneld does, because the agent works without systemd.
   *
   * @return whether a notification was sent
   */
  public static boolean ready() {
    return notifyEnvironment(System.getenv(), "READY=1");
  }

  /**
   * Sends {@code STATUS=<text>} if {@code $NOTIFY_SOCKET} is set: the line that {@code systemctl
   * status} shows as "Status:". The text becomes one line (see {@link #statusMessage}); failures
   * are only logged.
   *
   * @return whether a notification was sent
   */
  public static boolean status(String text) {
    return status(System.getenv(), text);
  }

  static boolean status(Map<String, String> env, String text) {
    return notifyEnvironment(env, statusMessage(text));
  }

  /**
   * Sends {@code WATCHDOG=1} if {@code $NOTIFY_SOCKET} is set: systemd kills (with SIGABRT
   * unless {@code WatchdogSignal=} says otherwise) a service with {@code WatchdogSec=} that does
   * not send it within each interval, and {@code Restart=on-failure} starts it again. Failures
   * are only logged.
   *
   * @return whether a notification was sent
   */
  public static boolean watchdog() {
    return watchdog(System.getenv());
  }

  static boolean watchdog(Map<String, String> env) {
    return notifyEnvironment(env, WATCHDOG);
  }

  /**
   * Returns the {@code STATUS=} message for {@code text}: control characters (line breaks in
   * particular, which would start another {@code KEY=value} assignment) become spaces, the text
   * is trimmed and cut at 1000 characters.
   */
  public static String statusMessage(String text) {
    StringBuilder b = new StringBuilder("STATUS=");
    String t = text.strip();
    int end = Math.min(t.length(), MAX_STATUS_CHARS);
    if (end < t.length() && Character.isHighSurrogate(t.charAt(end - 1))) {
      end--; // do not split a surrogate pair
    }
    for (int i = 0; i < end; i++) {
      char c = t.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : c);
    }
    return b.toString();
  }

  /**
   * Returns the watchdog timeout systemd set for this process ({@code WatchdogSec=}), as
   * libsystemd's {@code sd_watchdog_enabled} reads it: {@code $WATCHDOG_USEC} in microseconds,
   * for this process only if {@code $WATCHDOG_PID} is unset or names this process. Send
   * {@link #watchdog()} at least every half of it.
   *
   * @return the timeout, or empty when the watchdog is off, meant for another process, or its
   *     variables are invalid (then with a warning)
   */
  public static Optional<Duration> watchdogInterval() {
    return watchdogInterval(System.getenv(), ProcessHandle.current().pid());
  }

  static Optional<Duration> watchdogInterval(Map<String, String> env, long pid) {
    String usec = env.get("WATCHDOG_USEC");
    if (usec == null) {
      return Optional.empty();
    }
    long micros;
    try {
      micros = parseUnsigned(usec);
    } catch (NumberFormatException e) {
      log.warn("Ignoring the systemd watchdog: WATCHDOG_USEC={} is not a number of microseconds", usec);
      return Optional.empty();
    }
    // As libsystemd: 0 and UINT64_MAX (infinity) are not timestamps, so not a watchdog either.
    if (micros == 0 || micros == -1L) {
      log.warn("Ignoring the systemd watchdog: WATCHDOG_USEC={} is not a timeout", usec);
      return Optional.empty();
    }
    String owner = env.get("WATCHDOG_PID");
    if (owner != null) {
      long ownerPid;
      try {
        ownerPid = parseUnsigned(owner);
      } catch (NumberFormatException e) {
        ownerPid = 0;
      }
      if (ownerPid <= 0 || ownerPid > Integer.MAX_VALUE) {
        log.warn("Ignoring the systemd watchdog: WATCHDOG_PID={} is not a process id", owner);
        return Optional.empty();
      }
      if (ownerPid != pid) {
        // Inherited from a parent that systemd watches (e.g. started by a supervised shell):
        // not ours to feed, and not an error.
        return Optional.empty();
      }
    }
    return Optional.of(Duration.ofSeconds(Long.divideUnsigned(micros, 1_000_000),
        Long.remainderUnsigned(micros, 1_000_000) * 1_000));
  }

  /**
   * Parses an unsigned 64-bit decimal into a signed long's bits. Digits only: systemd writes
   * these variables in plain decimal (its own parser also takes a sign, blanks and 0x).
   */
  private static long parseUnsigned(String s) {
    if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new NumberFormatException(s);
    }
    return Long.parseUnsignedLong(s);
  }

  private static boolean notifyEnvironment(Map<String, String> env, String state) {
    String socket = env.get("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return false;
    }
    try {
      notify(socket, state);
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
