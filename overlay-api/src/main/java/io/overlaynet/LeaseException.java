package io.overlaynet;

/**
 * A lease could not be acquired or renewed for a reason other than the store being unreachable:
 * no free subnet is left, or every attempt lost its race. The message names the range or the key.
 */
public class LeaseException extends OverlayException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that says what failed. */
  public LeaseException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public LeaseException(String message, Throwable cause) {
    super(message, cause);
  }
}
