package io.overlaynet.testing;

import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.InMemoryStoreSeams;
import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Store} over an {@link InMemoryStore} that injects the faults a real etcd has: cut off
 * (every call fails as unreachable and watches go quiet, as in a network partition), calls that
 * fail with a given error, and watches the store ends.
 *
 * <pre>{@code
 * FaultyStore store = FaultyStore.over(InMemoryStore.create());
 * store.cutOff();                 // every call throws StoreUnavailableException
 * store.reconnect();              // calls work, watches catch up (or report compaction)
 * store.endWatches(new StoreException("permission denied"));
 * }</pre>
 */
public final class FaultyStore implements Store {

  private final InMemoryStore inner;
  private final Set<FaultyWatch> watches = ConcurrentHashMap.newKeySet();
  private volatile RuntimeException failure;
  private volatile Set<String> failingOps = Set.of();
  private final AtomicInteger failed = new AtomicInteger();

  private FaultyStore(InMemoryStore inner) {
    this.inner = inner;
  }

  /** Wraps {@code inner}; it is closed with this store. */
  public static FaultyStore over(InMemoryStore inner) {
    return new FaultyStore(inner);
  }

  /** Returns the wrapped store, to change the data behind the faults' back. */
  public InMemoryStore inner() {
    return inner;
  }

  /** From now on every call fails as unreachable and no watch delivers; TTLs go on running. */
  public void cutOff() {
    failWith(new StoreUnavailableException("injected: etcd cannot be reached"), Set.of());
    InMemoryStoreSeams.pauseWatches(inner);
  }

  /** Ends {@link #cutOff()} and {@link #failWith}: calls work again and watches catch up. */
  public void reconnect() {
    failure = null;
    InMemoryStoreSeams.resumeWatches(inner);
  }

  /**
   * From now on calls fail with {@code error}: every call if {@code ops} is empty, else only the
   * named ones ({@code get list create put delete watch}).
   */
  public void failWith(RuntimeException error, Set<String> ops) {
    failingOps = Set.copyOf(ops);
    failure = error;
  }

  /** Returns how many calls failed by injection so far. */
  public int failedCalls() {
    return failed.get();
  }

  /** Returns how many watches are running. */
  public int liveWatches() {
    return watches.size();
  }

  /** Ends every live watch with {@code onError(error)}, as a store that gave up a watch does. */
  public void endWatches(Throwable error) {
    for (FaultyWatch w : List.copyOf(watches)) {
      w.end(error);
    }
  }

  private void check(String op) {
    RuntimeException f = failure;
    if (f != null && (failingOps.isEmpty() || failingOps.contains(op))) {
      failed.incrementAndGet();
      throw f;
    }
  }

  @Override
  public Optional<KeyValue> get(String key) {
    check("get");
    return inner.get(key);
  }

  @Override
  public Listing list(String prefix) {
    check("list");
    return inner.list(prefix);
  }

  @Override
  public Optional<Long> create(String key, String value, Duration ttl) {
    check("create");
    return inner.create(key, value, ttl);
  }

  @Override
  public long put(String key, String value, Duration ttl) {
    check("put");
    return inner.put(key, value, ttl);
  }

  @Override
  public boolean delete(String key) {
    check("delete");
    return inner.delete(key);
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    check("watch");
    FaultyWatch w = new FaultyWatch(listener);
    w.delegate = inner.watch(prefix, fromRevision, w);
    watches.add(w); // only once it can be ended
    return w;
  }

  @Override
  public void close() {
    inner.close();
  }

  /** A watch that can be ended from outside; passes everything else through. */
  private final class FaultyWatch implements Watch, WatchListener {
    private final WatchListener listener;
    private volatile Watch delegate;
    private volatile boolean ended;

    FaultyWatch(WatchListener listener) {
      this.listener = listener;
    }

    void end(Throwable error) {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
      }
      delegate.close();
      watches.remove(this);
      listener.onError(error);
    }

    @Override
    public void onEvents(List<StoreEvent> events) {
      if (!ended) {
        listener.onEvents(events);
      }
    }

    @Override
    public void onCompacted(long compactRevision) {
      if (!ended) {
        watches.remove(this);
        listener.onCompacted(compactRevision);
      }
    }

    @Override
    public void onError(Throwable error) {
      if (!ended) {
        watches.remove(this);
        listener.onError(error);
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        ended = true;
      }
      watches.remove(this);
      Watch d = delegate;
      if (d != null) {
        d.close();
      }
    }
  }
}
