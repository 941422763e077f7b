package io.overlaynet.store;

import io.overlaynet.OverlayException;

/**
 * A {@link Store} operation failed: the store could not be reached in time, refused the request,
 * or answered with something unusable. The message names the operation and the key.
 */
public class StoreException extends OverlayException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that says what failed. */
  public StoreException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
