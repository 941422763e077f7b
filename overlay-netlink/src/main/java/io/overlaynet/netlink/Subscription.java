package io.overlaynet.netlink;

/**
 * A running subscription; {@link #close()} stops it within a second and never throws.
 *
 * <pre>{@code
 * try (Subscription s = handle.subscribeRoutes(SubscribeOptions.DEFAULT, listener)) {
 *   ...
 * }
 * }</pre>
 */
public interface Subscription extends AutoCloseable {

  /** Returns whether the subscription still delivers events. */
  boolean isActive();

  /** Stops delivery and releases the socket and thread; idempotent; returns within 1 s. */
  @Override
  void close();
}
