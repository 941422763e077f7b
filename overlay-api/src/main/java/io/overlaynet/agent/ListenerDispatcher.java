package io.overlaynet.agent;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the embedder's {@link AgentListener} calls on one thread of their own, in the order the
 * agent made them. Why not call it directly: the calls come from the threads that program the
 * kernel and renew the lease, and a slow listener (a metrics pipeline that blocks, a status page
 * that waits for a lock) must not delay either. What a call throws is logged and ignored.
 */
final class ListenerDispatcher {

  private static final Logger log = LoggerFactory.getLogger(ListenerDispatcher.class);

  private final ThreadPoolExecutor executor;
  private volatile Thread thread;

  ListenerDispatcher() {
    // One thread, unbounded queue: order is kept, and the producer never waits. The thread ends
    // when idle, so an agent that is never closed leaves no thread behind.
    executor = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "overlaynet-agent-listener");
      t.setDaemon(true);
      thread = t;
      return t;
    });
    executor.allowCoreThreadTimeOut(true);
  }

  /** Queues one listener call; {@code what} names it in the log if it throws. */
  void call(String what, Runnable call) {
    try {
      executor.execute(() -> {
        try {
          call.run();
        } catch (RuntimeException e) {
          log.error("AgentListener.{} threw; ignored", what, e);
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("AgentListener.{} not called: the agent has stopped", what);
    }
  }

  /** Lets the queued calls run for at most {@code millis}, then stops the thread. */
  void drainAndStop(long millis) {
    executor.shutdown();
    if (Thread.currentThread() == thread) {
      return; // a listener closed the agent: its own call must end before the rest can run
    }
    try {
      if (!executor.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        log.warn("The AgentListener did not finish its calls within {} ms; dropping the rest", millis);
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }
}
