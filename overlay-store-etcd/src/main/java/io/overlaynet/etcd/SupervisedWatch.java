package io.overlaynet.etcd;

import io.overlaynet.impl.Backoff;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One supervised etcd watch of a prefix, on either transport. Internal: returned by the stores'
 * {@code watch}.
 *
 * <p>Why supervise instead of relying on a client's own resume: jetcd re-creates a broken watch
 * after a fixed 500 ms from a revision it also advances to the server's header revision when the
 * watch is created, so a disconnect while replaying old history would skip the rest of that
 * history; it gives up for good on "no leader"; and the JSON gateway has no resume at all. Here
 * every stream is abandoned at its first error and a new one is opened from the last delivered
 * revision + 1, after a back-off of 100 ms doubling to 5 s (flannel's {@code watchSubnets}), with
 * jitter so that the watches of many nodes do not all reconnect at once after an etcd restart.
 * Events at or below the last delivered revision are dropped, so nothing is delivered twice.
 *
 * <p>Threads: stream callbacks only post work to a single-thread executor that owns all state
 * ("generation", next revision, back-off); a callback of an abandoned stream carries an old
 * generation and is ignored. Listener calls are serialised by {@link #deliveryLock}, which
 * {@link #close} also takes, so no callback starts after {@code close} returns.
 */
final class SupervisedWatch implements Store.Watch {

  private static final Logger LOG = LoggerFactory.getLogger(SupervisedWatch.class);

  static final long INITIAL_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 5_000;
  /** A stream that lived this long before it broke starts the back-off afresh. */
  static final long HEALTHY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static final AtomicInteger WATCH_IDS = new AtomicInteger();

  private final WatchSource source;
  private final String prefix;
  private final Store.WatchListener listener;
  private final Consumer<SupervisedWatch> onEnd;
  private final ScheduledThreadPoolExecutor executor;
  private final Object deliveryLock = new Object();
  private final AtomicBoolean ended = new AtomicBoolean();

  // Confined to the executor thread.
  private long nextRevision;
  /** When the current stream was created ({@link System#nanoTime()}), 0 before that. */
  private long createdAt;
  private final Backoff backoff =
      new Backoff(Duration.ofMillis(INITIAL_BACKOFF_MS), Duration.ofMillis(MAX_BACKOFF_MS));
  private int generation;
  private boolean suspended;

  /** The stream of the current generation; written on the executor, closed from anywhere. */
  private volatile WatchSource.Stream current;

  SupervisedWatch(WatchSource source, String prefix, long fromRevision, Store.WatchListener listener,
      Consumer<SupervisedWatch> onEnd, String threadNamePrefix) {
    this.source = source;
    this.prefix = prefix;
    this.listener = listener;
    this.onEnd = onEnd;
    this.nextRevision = fromRevision;
    String threadName = threadNamePrefix + WATCH_IDS.incrementAndGet();
    this.executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    executor.setRemoveOnCancelPolicy(true);
  }

  void start() {
    post(this::openStream);
  }

  @Override
  public void close() {
    end(null);
  }

  /** Ends the watch with {@code onError} because the store is closing. */
  void endBecauseStoreClosed() {
    end(() -> listener.onError(new StoreException("etcd watch of " + prefix + " ended: the store was closed")));
  }

  /** Test hook: breaks the connection and does not resume until {@link #resumeForTest()}. */
  void suspendForTest() {
    postAndWait(() -> {
      suspended = true;
      abandonCurrent();
    });
  }

  /** Test hook: resumes after {@link #suspendForTest()} from the last delivered revision + 1. */
  void resumeForTest() {
    post(() -> {
      suspended = false;
      openStream();
    });
  }

  /** Test hook: simulates a transient error of the current stream (as a disconnect would). */
  void failForTest() {
    post(() -> onBroken("simulated disconnect", null));
  }

  /** Returns the first revision not yet delivered (for tests; read on the caller's thread). */
  long nextRevisionForTest() {
    long[] r = new long[1];
    postAndWait(() -> r[0] = nextRevision);
    return r[0];
  }

  // ---------------------------------------------------------------- executor thread

  private void openStream() {
    if (ended.get() || suspended) {
      return;
    }
    int gen = ++generation;
    WatchSource.Stream stream;
    try {
      stream = source.open(prefix, nextRevision, new WatchSource.Sink() {
        @Override
        public void onCreated(long headerRevision) {
          postFor(gen, () -> created(headerRevision));
        }

        @Override
        public void onProgress(long headerRevision) {
          postFor(gen, () -> nextRevision = Math.max(nextRevision, headerRevision + 1));
        }

        @Override
        public void onEvents(List<StoreEvent> events) {
          postFor(gen, () -> received(events));
        }

        @Override
        public void onCompacted(long compactRevision) {
          postFor(gen, () -> compacted(compactRevision));
        }

        @Override
        public void onRefused(String reason, Throwable cause) {
          postFor(gen, () -> refused(reason, cause));
        }

        @Override
        public void onBroken(String reason, Throwable cause) {
          postFor(gen, () -> SupervisedWatch.this.onBroken(reason, cause));
        }
      });
    } catch (RuntimeException e) {
      onBroken(e.toString(), e);
      return;
    }
    current = stream;
    if (ended.get()) {
      stream.close();
    }
  }

  private void created(long headerRevision) {
    // Not a reset of the back-off yet: a stream accepted and broken at once (a member that
    // accepts watches and then cancels them) would otherwise be reopened every 100 ms for ever.
    createdAt = System.nanoTime();
    if (nextRevision == 0) {
      // Watching "from now": pin the revision so a reconnect resumes instead of skipping.
      nextRevision = headerRevision + 1;
    }
  }

  private void received(List<StoreEvent> raw) {
    backoff.reset();
    List<StoreEvent> events = new ArrayList<>(raw.size());
    for (StoreEvent e : raw) {
      // Already delivered before a reconnect: never deliver an event twice.
      if (e.revision() >= nextRevision) {
        events.add(e);
      }
    }
    if (events.isEmpty()) {
      return;
    }
    // etcd never splits one revision across responses, so the whole response (all keys of a
    // transaction or of a revoked lease) goes to the listener in one call: flanneld v0.20 handled
    // only the first event of a response and left stale routes (flannel-reference B8).
    deliver(events);
    nextRevision = events.get(events.size() - 1).revision() + 1;
  }

  private void compacted(long compactRevision) {
    abandonCurrent();
    LOG.info("etcd watch of {} from revision {}: history compacted up to {}; the caller relists",
        prefix, nextRevision, compactRevision);
    end(() -> listener.onCompacted(compactRevision));
  }

  private void refused(String reason, Throwable cause) {
    abandonCurrent();
    LOG.warn("etcd refused the watch of {} from revision {}: {}", prefix, nextRevision, reason);
    end(() -> listener.onError(new StoreException(
        "etcd refused the watch of " + prefix + " from revision " + nextRevision + ": " + reason, cause)));
  }

  /** Handles a broken or ended stream: resumes after the back-off. */
  private void onBroken(String why, Throwable cause) {
    if (ended.get()) {
      return;
    }
    abandonCurrent();
    if (createdAt != 0 && System.nanoTime() - createdAt > HEALTHY_NANOS) {
      backoff.reset(); // it worked for a while: start the back-off from the beginning
    }
    createdAt = 0;
    long delay = backoff.nextMillis();
    if (backoff.failures() == 1) {
      LOG.warn("etcd watch of {} interrupted ({}); resuming from revision {} in {} ms", prefix, why, nextRevision, delay);
    } else {
      LOG.debug("etcd watch of {} still interrupted ({}); resuming from revision {} in {} ms", prefix, why,
          nextRevision, delay);
    }
    try {
      executor.schedule(this::openStream, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed meanwhile.
    }
  }

  /** Closes the current stream and makes its late callbacks stale. */
  private void abandonCurrent() {
    generation++;
    WatchSource.Stream w = current;
    current = null;
    if (w != null) {
      w.close();
    }
  }

  private void deliver(List<StoreEvent> events) {
    synchronized (deliveryLock) {
      if (ended.get()) {
        return;
      }
      try {
        listener.onEvents(List.copyOf(events));
      } catch (RuntimeException e) {
        LOG.error("etcd watch of {}: the listener failed on {} events; continuing", prefix, events.size(), e);
      }
    }
  }

  // ---------------------------------------------------------------- any thread

  /** Ends the watch once: stops the stream, runs {@code last} (serialised with deliveries), frees the thread. */
  private void end(Runnable last) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    WatchSource.Stream w = current;
    if (w != null) {
      w.close();
    }
    // Taking the lock waits for a callback in progress on the executor thread, so no callback
    // starts (or is still running elsewhere) after close() returns.
    synchronized (deliveryLock) {
      if (last != null) {
        try {
          last.run();
        } catch (RuntimeException e) {
          LOG.error("etcd watch of {}: the listener failed", prefix, e);
        }
      }
    }
    executor.shutdown();
    onEnd.accept(this);
  }

  private void post(Runnable task) {
    try {
      executor.execute(() -> {
        if (!ended.get()) {
          runSafely(task);
        }
      });
    } catch (RejectedExecutionException e) {
      // The watch has ended.
    }
  }

  private void postFor(int gen, Runnable task) {
    post(() -> {
      if (gen == generation) {
        task.run();
      }
    });
  }

  private void postAndWait(Runnable task) {
    CountDownLatch done = new CountDownLatch(1);
    try {
      executor.execute(() -> {
        try {
          runSafely(task);
        } finally {
          done.countDown();
        }
      });
      done.await(10, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      // Ended.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.error("etcd watch of {}: internal error", prefix, e);
    }
  }

  @Override
  public String toString() {
    return "EtcdWatch{" + prefix + "}";
  }
}
