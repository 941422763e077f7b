package io.overlaynet.impl;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Exponential back-off with jitter for a retry loop: the step starts at {@code initial} and
 * doubles up to {@code max}; each delay handed out is drawn from {@code [step/2, step]}.
 *
 * <p>Why jitter: after an etcd restart a thousand agents whose retries all started at the same
 * failure would otherwise reconnect in lock-step, every one of them at 100 ms, 200 ms, 400 ms...
 * Half the step stays fixed so that a delay never collapses to nothing ("equal jitter").
 *
 * <p>Internal. Not thread-safe: one instance per retry loop, used from the loop's thread.
 *
 * <pre>{@code
 * Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30));
 * while (!tryOnce()) {
 *   Thread.sleep(backoff.nextMillis());
 * }
 * backoff.reset();   // the next failure starts again from 100 ms
 * }</pre>
 */
public final class Backoff {

  private final long initialMillis;
  private final long maxMillis;
  /** Given {@code n}, returns a uniform random number in {@code [0, n]}. */
  private final LongUnaryOperator random;
  private long stepMillis;
  private int failures;

  /**
   * Creates a back-off from {@code initial} doubling to {@code max}.
   *
   * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is shorter
   */
  public Backoff(Duration initial, Duration max) {
    this(initial, max, n -> ThreadLocalRandom.current().nextLong(n + 1));
  }

  /** A back-off whose randomness is given, for tests. */
  Backoff(Duration initial, Duration max, LongUnaryOperator random) {
    checkArgument(!initial.isNegative() && !initial.isZero(), "the initial back-off must be positive: %s", initial);
    checkArgument(max.compareTo(initial) >= 0, "the longest back-off %s is shorter than the first %s", max, initial);
    // Steps are whole milliseconds: a shorter positive duration counts as 1 ms.
    this.initialMillis = Math.max(1, initial.toMillis());
    this.maxMillis = Math.max(initialMillis, max.toMillis());
    this.random = random;
    this.stepMillis = initialMillis;
  }

  /** Returns the next delay in milliseconds and doubles the step (up to the maximum). */
  public long nextMillis() {
    long step = stepMillis;
    stepMillis = Math.min(maxMillis, step * 2);
    failures++;
    long half = step / 2;
    return step - half + random.applyAsLong(half);
  }

  /** Returns the next delay; see {@link #nextMillis()}. */
  public Duration next() {
    return Duration.ofMillis(nextMillis());
  }

  /** Returns how many delays were handed out since the last {@link #reset()}. */
  public int failures() {
    return failures;
  }

  /** Starts again from the initial step: the operation succeeded. */
  public void reset() {
    stepMillis = initialMillis;
    failures = 0;
  }

  @Override
  public String toString() {
    return "Backoff{" + initialMillis + " ms .. " + maxMillis + " ms, step " + stepMillis + " ms}";
  }
}
