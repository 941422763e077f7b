package io.overlaynet.etcd.testing;

import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A {@link Store.WatchListener} that records batches, compaction and errors for assertions, and
 * checks that callbacks never overlap.
 *
 * <pre>{@code
 * WatchRecorder rec = new WatchRecorder();
 * try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
 *   store.put(prefix + "a", "1", Store.NO_TTL);
 *   rec.awaitCount(1, Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class WatchRecorder implements Store.WatchListener {

  private final List<List<StoreEvent>> batches = new CopyOnWriteArrayList<>();
  private final List<StoreEvent> events = new CopyOnWriteArrayList<>();
  private final List<Throwable> errors = new CopyOnWriteArrayList<>();
  private final List<Long> compactions = new CopyOnWriteArrayList<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final AtomicInteger inCallback = new AtomicInteger();
  private volatile boolean overlapped;

  @Override
  public void onEvents(List<StoreEvent> batch) {
    enter();
    try {
      batches.add(List.copyOf(batch));
      events.addAll(batch);
    } finally {
      exit();
    }
  }

  @Override
  public void onCompacted(long compactRevision) {
    enter();
    compactions.add(compactRevision);
    ended.countDown();
    exit();
  }

  @Override
  public void onError(Throwable error) {
    enter();
    errors.add(error);
    ended.countDown();
    exit();
  }

  /** Returns every event so far in delivery order. */
  public List<StoreEvent> events() {
    return List.copyOf(events);
  }

  /** Returns the batches as delivered (one per {@code onEvents} call). */
  public List<List<StoreEvent>> batches() {
    return List.copyOf(batches);
  }

  /** Returns the revisions passed to {@code onCompacted}. */
  public List<Long> compactions() {
    return List.copyOf(compactions);
  }

  /** Returns the errors passed to {@code onError}. */
  public List<Throwable> errors() {
    return List.copyOf(errors);
  }

  /** Returns whether two callbacks ever ran at the same time (they must not). */
  public boolean overlapped() {
    return overlapped;
  }

  /** Waits until at least {@code n} events arrived. */
  public void awaitCount(int n, Duration patience) throws InterruptedException {
    await(() -> events.size() >= n, patience, "expected " + n + " events");
  }

  /** Waits for {@code onCompacted} or {@code onError}. */
  public void awaitEnd(Duration patience) throws InterruptedException {
    if (!ended.await(patience.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the watch did not end within " + patience + "; events " + summary());
    }
  }

  /** Polls {@code condition} until it holds, or fails after {@code patience}. */
  public void await(BooleanSupplier condition, Duration patience, String failure) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure + " within " + patience + "; got " + summary());
      }
      Thread.sleep(10);
    }
  }

  private String summary() {
    List<StoreEvent> e = events();
    return e.size() > 20 ? e.size() + " events, last " + e.get(e.size() - 1) : e.toString();
  }

  private void enter() {
    if (inCallback.incrementAndGet() != 1) {
      overlapped = true;
    }
  }

  private void exit() {
    inCallback.decrementAndGet();
  }
}
