package io.overlaynet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;

/**
 * Waits in a test for a condition instead of sleeping for a guessed time: polls until it holds,
 * and fails with what was awaited once the deadline passes. The deadline is a bound with margin
 * for a loaded machine (CI, other builds on the same two cores), not a measurement: the wait ends
 * as soon as the condition holds, so a generous deadline costs nothing when all is well.
 *
 * <pre>{@code
 * Await.until("the route to h2 is back", Duration.ofSeconds(10), () -> routed(h2));
 * }</pre>
 */
public final class Await {

  private static final long POLL_MILLIS = 20;

  private Await() {}

  /** A condition that may throw (the exception ends the wait and fails the test). */
  @FunctionalInterface
  public interface Condition {
    /** Returns whether the awaited state is reached. */
    boolean holds() throws Exception;
  }

  /**
   * Returns once {@code condition} holds; checks it at least once after the deadline.
   *
   * @throws org.opentest4j.AssertionFailedError naming {@code what} if it still does not hold after {@code timeout}
   * @throws Exception whatever the condition throws
   */
  public static void until(String what, Duration timeout, Condition condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() - deadline > 0) {
        fail("not within " + timeout + ": " + what);
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
