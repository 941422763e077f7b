package io.overlaynet.netlink;

/**
 * EEXIST: the object already exists (e.g. `ip link add` of an existing name, `ip route add` of an existing route).
 *
 * <pre>{@code
 * try {
 *   handle.linkAdd(spec);
 * } catch (NetlinkExistsException e) {
 *   // expected case, handled without matching the message
 * }
 * }</pre>
 */
public class NetlinkExistsException extends NetlinkException {

  private static final long serialVersionUID = 1L;

  /**
   * Makes an exception; see {@link NetlinkException#NetlinkException(String, int, String, String)}.
   *
   * @param operation what was attempted
   * @param errno the positive errno
   * @param description the errno's text
   * @param extAck the kernel's extended-ack message, or null
   */
  public NetlinkExistsException(String operation, int errno, String description, String extAck) {
    super(operation, errno, description, extAck);
  }
}
