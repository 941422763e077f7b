package io.overlaynet.impl;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon thread that runs a step, then sleeps until the delay the step asked for has passed or
 * someone calls {@link #wake()}; {@link #close()} stops it promptly. The backends' periodic checks
 * (vxlan reconciliation, host-gw route check) run on one each. Internal: not part of the API.
 *
 * <p>The thread is created by {@link #start(long)}, so it inherits the network namespace of the thread
 * that calls {@code start()}.
 */
public final class WakeableLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WakeableLoop.class);

  /** One round of the loop. */
  @FunctionalInterface
  public interface Step {
    /**
     * Does the work of one round.
     *
     * @param woken whether {@link #wake()} was called since the last round (else the delay ran out)
     * @return how long to wait before the next round, in milliseconds
     * @throws InterruptedException when {@link #close()} interrupts a wait inside the step
     */
    long run(boolean woken) throws InterruptedException;
  }

  private final String threadName;
  private final Step step;
  private final Object signal = new Object();
  private boolean woken; // guarded by signal
  private volatile boolean closed;
  private volatile Thread thread;

  /** A loop that runs {@code step} on a thread named {@code threadName} once {@link #start}ed. */
  public WakeableLoop(String threadName, Step step) {
    this.threadName = threadName;
    this.step = step;
  }

  /** Starts the thread; the first round runs after {@code firstDelayMs} or when woken. */
  public void start(long firstDelayMs) {
    Thread t = new Thread(() -> loop(firstDelayMs), threadName);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** Makes the next round start now (or as soon as the current one ends). */
  public void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  /** Returns whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Stops the loop: a waiting thread ends at once, a round in progress is interrupted and waited
   * for (at most 2 s). Idempotent; callable from the step itself.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    wake();
    Thread t = thread;
    if (t != null && t != Thread.currentThread()) {
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void loop(long firstDelayMs) {
    long waitMs = firstDelayMs;
    while (!closed) {
      boolean wasWoken;
      synchronized (signal) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (!woken && !closed) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            break;
          }
          try {
            signal.wait(left);
          } catch (InterruptedException e) {
            return; // close() interrupts: stop
          }
        }
        wasWoken = woken;
        woken = false;
      }
      if (closed) {
        return;
      }
      try {
        waitMs = Math.max(0, step.run(wasWoken));
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // A bug in a step must not end the periodic work for good: log, and try again later
        // (not at once, or a step that always fails would spin).
        waitMs = Math.max(waitMs, 1_000);
        LOG.error("{}: round failed; next round in {} ms", threadName, waitMs, e);
      }
    }
  }
}
