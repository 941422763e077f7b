package io.overlaynet.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch.Watcher;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One supervised etcd watch of a prefix. Internal: returned by {@link JetcdStore#watch}.
 *
 * <p>Why supervise instead of relying on jetcd's own resume: jetcd re-creates a broken watch after a
 * fixed 500 ms from a revision it also advances to the server's header revision when the watch is
 * created, so a disconnect while replaying old history would skip the rest of that history; and it
 * gives up for good on "no leader". Here every jetcd watcher is abandoned at its first error and a
 * new one is opened from the last delivered revision + 1, after a back-off of 100 ms doubling to
 * 5 s (flannel's {@code watchSubnets}). Events at or below the last delivered revision are dropped,
 * so nothing is delivered twice.
 *
 * <p>Threads: jetcd callbacks only post work to a single-thread executor that owns all state
 * ("generation", next revision, back-off); a callback of an abandoned watcher carries an old
 * generation and is ignored. Listener calls are serialised by {@link #deliveryLock}, which
 * {@link #close} also takes, so no callback starts after {@code close} returns.
 */
final class JetcdWatch implements Store.Watch {

  private static final Logger LOG = LoggerFactory.getLogger(JetcdWatch.class);

  static final long INITIAL_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 5_000;

  private static final AtomicInteger WATCH_IDS = new AtomicInteger();

  private final io.etcd.jetcd.Watch client;
  private final String prefix;
  private final ByteSequence prefixBytes;
  private final Store.WatchListener listener;
  private final Consumer<JetcdWatch> onEnd;
  private final ScheduledThreadPoolExecutor executor;
  private final Object deliveryLock = new Object();
  private final AtomicBoolean ended = new AtomicBoolean();

  // Confined to the executor thread.
  private long nextRevision;
  private long backoffMs = INITIAL_BACKOFF_MS;
  private int generation;
  private boolean suspended;

  /** The jetcd watcher of the current generation; written on the executor, closed from anywhere. */
  private volatile Watcher current;

  JetcdWatch(io.etcd.jetcd.Watch client, String prefix, long fromRevision, Store.WatchListener listener,
      Consumer<JetcdWatch> onEnd, String threadNamePrefix) {
    this.client = client;
    this.prefix = prefix;
    this.prefixBytes = JetcdStore.bytes(prefix);
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
    post(() -> openWatcher());
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
      openWatcher();
    });
  }

  /** Test hook: simulates a transient error of the current jetcd watcher (as a disconnect would). */
  void failForTest() {
    post(() -> onFailure(new IllegalStateException("simulated disconnect")));
  }

  /** Returns the first revision not yet delivered (for tests; read on the caller's thread). */
  long nextRevisionForTest() {
    long[] r = new long[1];
    postAndWait(() -> r[0] = nextRevision);
    return r[0];
  }

  // ---------------------------------------------------------------- executor thread

  private void openWatcher() {
    if (ended.get() || suspended) {
      return;
    }
    int gen = ++generation;
    WatchOption option = WatchOption.builder()
        .withRevision(nextRevision)
        .isPrefix(true)
        // Without require-leader a member cut off from its cluster keeps the stream open and
        // silently delivers nothing; with it the stream fails and we reconnect (maybe elsewhere).
        .withRequireLeader(true)
        // Progress notifications let an idle watch advance its resume revision, so a reconnect
        // after long silence is less likely to land on compacted history.
        .withProgressNotify(true)
        .withCreateNotify(true)
        .build();
    Watcher w;
    try {
      w = client.watch(prefixBytes, option, io.etcd.jetcd.Watch.listener(
          response -> postFor(gen, () -> onResponse(response)),
          error -> postFor(gen, () -> onFailure(error)),
          () -> postFor(gen, () -> onFailure(null))));
    } catch (RuntimeException e) {
      onFailure(e);
      return;
    }
    current = w;
    if (ended.get()) {
      w.close();
    }
  }

  private void onResponse(WatchResponse response) {
    if (response.isCreatedNotify()) {
      // The stream is up again: the next failure starts the back-off from the beginning.
      backoffMs = INITIAL_BACKOFF_MS;
      if (nextRevision == 0) {
        // Watching "from now": pin the revision so a reconnect resumes instead of skipping.
        nextRevision = response.getHeader().getRevision() + 1;
      }
      return;
    }
    List<WatchEvent> raw = response.getEvents();
    if (raw.isEmpty()) {
      // A progress notification: every event up to the header revision has been sent.
      if (response.isProgressNotify()) {
        nextRevision = Math.max(nextRevision, response.getHeader().getRevision() + 1);
      }
      return;
    }
    backoffMs = INITIAL_BACKOFF_MS;
    List<StoreEvent> events = new ArrayList<>(raw.size());
    long last = nextRevision - 1;
    for (WatchEvent e : raw) {
      io.etcd.jetcd.KeyValue kv = e.getKeyValue();
      long rev = kv.getModRevision();
      if (rev < nextRevision) {
        // Already delivered before a reconnect: never deliver an event twice.
        continue;
      }
      String key = JetcdStore.text(kv.getKey());
      switch (e.getEventType()) {
        case PUT -> events.add(StoreEvent.put(key, JetcdStore.text(kv.getValue()), rev));
        // A delete event's key-value is a tombstone whose mod revision is the delete's revision.
        case DELETE -> events.add(StoreEvent.delete(key, rev));
        default -> {
          LOG.warn("etcd watch of {}: ignoring unknown event type {} for {}", prefix, e.getEventType(), key);
          continue;
        }
      }
      last = Math.max(last, rev);
    }
    if (events.isEmpty()) {
      return;
    }
    // etcd never splits one revision across responses, so the whole response (all keys of a
    // transaction or of a revoked lease) goes to the listener in one call: flanneld v0.20 handled
    // only the first event of a response and left stale routes (flannel-reference B8).
    deliver(events);
    nextRevision = last + 1;
  }

  /** Handles an error, or the end of the stream ({@code error == null}), of the current watcher. */
  private void onFailure(Throwable error) {
    if (ended.get()) {
      return;
    }
    if (error instanceof CompactedException compacted) {
      abandonCurrent();
      long compactRevision = compacted.getCompactedRevision();
      LOG.info("etcd watch of {} from revision {}: history compacted up to {}; the caller relists",
          prefix, nextRevision, compactRevision);
      end(() -> listener.onCompacted(compactRevision));
      return;
    }
    if (error != null && isRefusal(error)) {
      abandonCurrent();
      LOG.warn("etcd refused the watch of {} from revision {}: {}", prefix, nextRevision, EtcdErrors.describe(error));
      end(() -> listener.onError(new StoreException(
          "etcd refused the watch of " + prefix + " from revision " + nextRevision + ": "
              + EtcdErrors.describe(error), error)));
      return;
    }
    abandonCurrent();
    long delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    String why = error == null ? "stream ended" : EtcdErrors.describe(error);
    if (delay == INITIAL_BACKOFF_MS) {
      LOG.warn("etcd watch of {} interrupted ({}); resuming from revision {} in {} ms", prefix, why, nextRevision, delay);
    } else {
      LOG.debug("etcd watch of {} still interrupted ({}); resuming from revision {} in {} ms", prefix, why,
          nextRevision, delay);
    }
    try {
      executor.schedule(this::openWatcher, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed meanwhile.
    }
  }

  /**
   * Errors that retrying cannot fix: the watch request itself is refused. Permission errors are
   * not among them because jetcd reports an expired auth token that way and refreshes it.
   */
  private static boolean isRefusal(Throwable error) {
    if (error instanceof EtcdException e) {
      ErrorCode code = e.getErrorCode();
      return code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.UNIMPLEMENTED
          || code == ErrorCode.OUT_OF_RANGE;
    }
    return false;
  }

  /** Closes the current jetcd watcher and makes its late callbacks stale. */
  private void abandonCurrent() {
    generation++;
    Watcher w = current;
    current = null;
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException e) {
        LOG.debug("closing an etcd watcher: {}", e.toString());
      }
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

  /** Ends the watch once: stops jetcd, runs {@code last} (serialised with deliveries), frees the thread. */
  private void end(Runnable last) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    Watcher w = current;
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException e) {
        LOG.debug("closing an etcd watcher: {}", e.toString());
      }
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
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
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
