package io.overlaynet.traffic;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both traffic managers share: one daemon thread that runs a resync pass every period, the
 * closed flag, and a close that interrupts the pass (which kills the command it waits for) and
 * waits for the thread, at most 2 s.
 */
final class ResyncLoop {

  private static final Logger log = LoggerFactory.getLogger(ResyncLoop.class);

  private final String what;
  private final ScheduledExecutorService thread;
  private volatile boolean closed;

  /** Starts running {@code pass} every {@code period} (first after one period) on a thread named after {@code what}. */
  ResyncLoop(String what, Duration period, Runnable pass) {
    this.what = what;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "overlaynet-" + what + "-resync");
      t.setDaemon(true);
      return t;
    });
    long nanos = period.toNanos();
    thread.scheduleWithFixedDelay(pass, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /** Returns whether {@link #close} ran. */
  boolean isClosed() {
    return closed;
  }

  /** @throws IllegalStateException if {@link #close} ran */
  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the traffic manager is closed");
    }
  }

  /**
   * Stops the thread, interrupting a pass in progress, and waits for it (2 s at most).
   *
   * @return false if it was closed already
   */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(2, TimeUnit.SECONDS)) {
        log.warn("The {} resync thread did not stop within 2 s", what);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return true;
  }

  /** Calls a listener; what it throws must not end the resync loop. */
  static void tell(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("TrafficListener threw; ignored: {}", e.toString());
    }
  }
}
