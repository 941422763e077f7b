package io.overlaynet;

/**
 * The network config is missing, malformed or invalid. The message is flannel's where flannel has
 * one (e.g. {@code SubnetLen must be less than /31}), so operators can search for it.
 */
public class NetworkConfigException extends OverlayException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with flannel's message. */
  public NetworkConfigException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public NetworkConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
