package io.overlaynet.netlink;

import java.io.IOException;

/**
 * A kernel or libc call failed: carries the errno, the operation and, for netlink requests, the
 * kernel's extended-ack text. The common cases have subclasses so callers need no string
 * matching: {@link NetlinkExistsException} (EEXIST), {@link NetlinkNotFoundException} (ENOENT,
 * ESRCH, ENODEV) and {@link NetlinkBusyException} (EBUSY).
 *
 * <pre>{@code
 * try {
 *   handle.linkAdd(spec);
 * } catch (NetlinkExistsException e) {
 *   // reuse or recreate the device
 * } catch (NetlinkException e) {
 *   log.warn("{} failed: errno {} ({})", e.operation(), e.errno(), e.extAck());
 * }
 * }</pre>
 *
 * <p>Instances are made by the library (one place maps errno to the subclass); the public
 * constructor exists for fakes in tests.
 */
public class NetlinkException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int errno;
  private final String operation;
  private final String extAck;

  /**
   * Makes an exception.
   *
   * @param operation what was attempted, e.g. {@code "ip link add flannel.1 type vxlan"}
   * @param errno the positive errno
   * @param description the errno's text, e.g. "File exists"
   * @param extAck the kernel's extended-ack message, or null
   */
  public NetlinkException(String operation, int errno, String description, String extAck) {
    super(format(operation, errno, description, extAck));
    this.errno = errno;
    this.operation = operation;
    this.extAck = extAck;
  }

  private static String format(String operation, int errno, String description, String extAck) {
    StringBuilder sb = new StringBuilder(operation).append(": ").append(description)
        .append(" (errno ").append(errno).append(')');
    if (extAck != null && !extAck.isEmpty()) {
      sb.append(": ").append(extAck);
    }
    return sb.toString();
  }

  /** Returns the positive errno, e.g. 17 for EEXIST. */
  public int errno() {
    return errno;
  }

  /** Returns the operation that failed, in iproute2 terms where one exists. */
  public String operation() {
    return operation;
  }

  /** Returns the kernel's extended-ack text, or null when the kernel gave none. */
  public String extAck() {
    return extAck;
  }
}
