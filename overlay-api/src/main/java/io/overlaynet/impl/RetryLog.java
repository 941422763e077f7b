package io.overlaynet.impl;

import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * The log of one retry loop: a warning when a failure of a new kind starts, a reminder while it
 * lasts, and one line when the operation works again — not a line per attempt. A thousand
 * retries against an etcd that is down for an hour then cost a handful of lines that still say
 * what is wrong and since when.
 *
 * <p>Two failures are of the same kind when their exception class and message agree once digits
 * are ignored (timeouts, ports and revisions differ from attempt to attempt). Kinds that alternate
 * (two endpoints failing differently) warn once each.
 *
 * <p>Internal. Not thread-safe: one instance per retry loop.
 */
public final class RetryLog {

  private static final Duration REMINDER = Duration.ofMinutes(5);

  private final Logger log;
  private final String what;
  /** Every kind seen since the operation last worked (empty while it works): kinds that alternate warn once each. */
  private final java.util.Set<String> kinds = new java.util.HashSet<>();
  private long since;
  private long lastWarned;
  private int attempts;

  /** Creates the log of the loop that does {@code what} (e.g. "reading the network config"). */
  public RetryLog(Logger log, String what) {
    this.log = Objects.requireNonNull(log, "log");
    this.what = Objects.requireNonNull(what, "what");
  }

  /**
   * Records a failed attempt: warns if it is the first of its kind since the operation last
   * worked, or if the last warning is older than five minutes; otherwise logs at debug level.
   *
   * @return whether a warning was logged (callers tell their listeners on the same occasions)
   */
  public boolean failed(Throwable error, long retryInMillis) {
    long now = System.nanoTime();
    String k = error.getClass().getName() + ":" + String.valueOf(error.getMessage()).replaceAll("[0-9]+", "#");
    attempts++;
    if (kinds.isEmpty()) {
      since = now;
      attempts = 1;
    }
    if (kinds.add(k)) {
      lastWarned = now;
      log.warn("{} failed: {} (retrying with back-off, next in {} ms; further failures of this kind are logged at"
          + " debug level)", what, error.getMessage(), retryInMillis);
      return true;
    }
    if (now - lastWarned >= REMINDER.toNanos()) {
      lastWarned = now;
      log.warn("{} still failing after {} s and {} attempts: {}", what, (now - since) / 1_000_000_000L, attempts,
          error.getMessage());
      return true;
    }
    log.debug("{} failed again (attempt {}): {}; next in {} ms", what, attempts, error.getMessage(), retryInMillis);
    return false;
  }

  /** Records a success: if attempts had failed, says so once. */
  public void recovered() {
    if (!kinds.isEmpty()) {
      log.info("{} works again after {} failed attempts in {} ms", what, attempts,
          (System.nanoTime() - since) / 1_000_000L);
    }
    kinds.clear();
    attempts = 0;
  }
}
