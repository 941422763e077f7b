package io.overlaynet.netlink;

/**
 * ENOENT, ESRCH or ENODEV: the object (link, route, neighbour, namespace) does not exist.
 *
 * <pre>{@code
 * try {
 *   handle.routeDel(route);
 * } catch (NetlinkNotFoundException e) {
 *   // expected case, handled without matching the message
 * }
 * }</pre>
 */
public class NetlinkNotFoundException extends NetlinkException {

  private static final long serialVersionUID = 1L;

  /**
   * Makes an exception; see {@link NetlinkException#NetlinkException(String, int, String, String)}.
   *
   * @param operation what was attempted
   * @param errno the positive errno
   * @param description the errno's text
   * @param extAck the kernel's extended-ack message, or null
   */
  public NetlinkNotFoundException(String operation, int errno, String description, String extAck) {
    super(operation, errno, description, extAck);
  }
}
