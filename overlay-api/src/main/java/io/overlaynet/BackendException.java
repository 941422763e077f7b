package io.overlaynet;

/**
 * A {@link Backend} could not set up its data plane: a device, socket or route the kernel
 * refused, a node behind NAT for host-gw, a port in use. The message names what failed, in
 * flannel's words where flannel has them; the cause carries the kernel's error.
 */
public class BackendException extends OverlayException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that says what failed. */
  public BackendException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
