package io.overlaynet.wireguard.internal;

import java.util.Objects;

/**
 * The outcome of parsing one received message: the message, or the {@link Rejection} that says
 * why there is none. Parsers return one instead of throwing, so that garbage from the network is
 * a counted drop and never an exception in the packet loop. Rejections are shared instances, so a
 * flood of garbage allocates nothing. Internal usage only.
 *
 * <pre>{@code
 * Parsed<HandshakeInitiation> p = HandshakeInitiation.parse(buf, off, len);
 * if (!p.isAccepted()) {
 *   drops.increment(p.rejection());
 * } else {
 *   consume(p.value());
 * }
 * }</pre>
 *
 * @param <T> the message type
 */
public final class Parsed<T> {

  private static final Parsed<?>[] REJECTED = new Parsed<?>[Rejection.values().length];

  static {
    for (Rejection r : Rejection.values()) {
      REJECTED[r.ordinal()] = new Parsed<>(null, r);
    }
  }

  private final T value;
  private final Rejection rejection;

  private Parsed(T value, Rejection rejection) {
    this.value = value;
    this.rejection = rejection;
  }

  /** Returns an accepted outcome carrying {@code value}. */
  public static <T> Parsed<T> accepted(T value) {
    return new Parsed<>(Objects.requireNonNull(value, "value"), null);
  }

  /** Returns the (shared) rejected outcome for {@code why}. */
  @SuppressWarnings("unchecked") // carries no value, so it is a Parsed of any type
  public static <T> Parsed<T> rejected(Rejection why) {
    return (Parsed<T>) REJECTED[why.ordinal()];
  }

  /** Returns whether the message was well-formed. */
  public boolean isAccepted() {
    return rejection == null;
  }

  /**
   * Returns the message.
   *
   * @throws IllegalStateException if it was rejected
   */
  public T value() {
    if (rejection != null) {
      throw new IllegalStateException("rejected: " + rejection);
    }
    return value;
  }

  /** Returns why the message was rejected, or null if it was accepted. */
  public Rejection rejection() {
    return rejection;
  }

  @Override
  public String toString() {
    return rejection == null ? "accepted(" + value + ")" : "rejected(" + rejection + ")";
  }
}
