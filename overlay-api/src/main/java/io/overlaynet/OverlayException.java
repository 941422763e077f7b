package io.overlaynet;

/**
 * The root of the SDK's exceptions: everything the API modules throw for a reason of their own
 * (store, config, lease, backend, agent, firewall) is one of these, unchecked. Only the native
 * layer, overlay-netlink, has a family of its own: {@code NetlinkException}, an
 * {@link java.io.IOException} like every other kernel I/O error; a backend turns it into a
 * {@link BackendException} at the {@link Backend} boundary.
 *
 * <pre>{@code
 * try {
 *   agent.start();
 * } catch (OverlayException e) {
 *   log.error("the overlay could not start: {}", e.getMessage());   // the message says why
 * }
 * }</pre>
 */
public class OverlayException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that says what failed. */
  public OverlayException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public OverlayException(String message, Throwable cause) {
    super(message, cause);
  }
}
