package io.overlaynet.agent;

import io.overlaynet.OverlayException;

/** The agent could not start or had to stop; the message says why in operator terms. */
public class AgentException extends OverlayException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with an operator-facing message. */
  public AgentException(String message) {
    super(message);
  }

  /** Creates an exception with a message and its cause. */
  public AgentException(String message, Throwable cause) {
    super(message, cause);
  }
}
