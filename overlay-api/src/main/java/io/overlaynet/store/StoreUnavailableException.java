package io.overlaynet.store;

/**
 * The store did not answer within its timeout (unreachable, no leader, closed). Retrying later may
 * succeed; the operation's effect is unknown.
 */
public class StoreUnavailableException extends StoreException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that says what failed. */
  public StoreUnavailableException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
