package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.NetlinkBusyException;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkExistsException;
import io.overlaynet.netlink.NetlinkNotFoundException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place where errno becomes a typed exception (netty's {@code Errors}). Internal usage
 * only.
 *
 * <pre>{@code
 * NativeErrors.check("socket(AF_NETLINK)", libc.socket(...));
 * }</pre>
 */
public final class NativeErrors {

  /** Operation not permitted. */ public static final int EPERM = 1;
  /** No such file or directory. */ public static final int ENOENT = 2;
  /** No such process (routes: no such route). */ public static final int ESRCH = 3;
  /** Interrupted system call. */ public static final int EINTR = 4;
  /** Bad file descriptor (used for "closed"). */ public static final int EBADF = 9;
  /** Try again. */ public static final int EAGAIN = 11;
  /** Device or resource busy. */ public static final int EBUSY = 16;
  /** File exists. */ public static final int EEXIST = 17;
  /** No such device. */ public static final int ENODEV = 19;
  /** Invalid argument. */ public static final int EINVAL = 22;
  /** No buffer space (netlink: events were lost). */ public static final int ENOBUFS = 105;
  /** Timed out. */ public static final int ETIMEDOUT = 110;

  private static final Map<Integer, String> DESCRIPTIONS = new ConcurrentHashMap<>();

  private NativeErrors() {}

  /** Returns the strerror text of {@code errno}, cached. */
  public static String describe(int errno) {
    return DESCRIPTIONS.computeIfAbsent(errno, e -> {
      try {
        jnr.constants.platform.Errno value = jnr.constants.platform.Errno.valueOf(e);
        String d = value == null ? null : value.description();
        return d == null || d.isEmpty() ? "errno " + e : d;
      } catch (RuntimeException ex) {
        return "errno " + e;
      }
    });
  }

  /** Makes the exception for {@code errno}: EEXIST, ENOENT/ESRCH/ENODEV and EBUSY get their own types. */
  public static NetlinkException newException(String operation, int errno, String extAck) {
    int e = Math.abs(errno);
    String d = describe(e);
    return switch (e) {
      case EEXIST -> new NetlinkExistsException(operation, e, d, extAck);
      case ENOENT, ESRCH, ENODEV -> new NetlinkNotFoundException(operation, e, d, extAck);
      case EBUSY -> new NetlinkBusyException(operation, e, d, extAck);
      default -> new NetlinkException(operation, e, d, extAck);
    };
  }

  /** Makes the exception for the calling thread's current errno. */
  public static NetlinkException fromErrno(String operation) {
    return newException(operation, Native.errno(), null);
  }

  /**
   * Returns {@code rc} if it is not negative.
   *
   * @throws NetlinkException built from errno when {@code rc < 0}
   */
  public static int check(String operation, int rc) throws NetlinkException {
    if (rc < 0) {
      throw fromErrno(operation);
    }
    return rc;
  }

  /**
   * Returns {@code rc} if it is not negative.
   *
   * @throws NetlinkException built from errno when {@code rc < 0}
   */
  public static long check(String operation, long rc) throws NetlinkException {
    if (rc < 0) {
      throw fromErrno(operation);
    }
    return rc;
  }
}
