package io.overlaynet.netlink;

/**
 * EBUSY: the object is in use (e.g. a device name taken while it is being moved).
 *
 * <pre>{@code
 * try {
 *   handle.linkSetNsFd(index, ns);
 * } catch (NetlinkBusyException e) {
 *   // expected case, handled without matching the message
 * }
 * }</pre>
 */
public class NetlinkBusyException extends NetlinkException {

  private static final long serialVersionUID = 1L;

  /**
   * Makes an exception; see {@link NetlinkException#NetlinkException(String, int, String, String)}.
   *
   * @param operation what was attempted
   * @param errno the positive errno
   * @param description the errno's text
   * @param extAck the kernel's extended-ack message, or null
   */
  public NetlinkBusyException(String operation, int errno, String description, String extAck) {
    super(operation, errno, description, extAck);
  }
}
