package io.overlaynet.store;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Store} held in memory: the embedded default, for a single process that runs several
 * agents (tests, the demo, an orchestrator that is itself the source of truth), and the fake that
 * unit tests use instead of etcd.
 *
 * <p>It behaves like etcd where the subnet manager can tell: one global revision, TTLs,
 * create-if-absent, watches from any revision still in history, and compaction. Extra methods
 * write several keys in one revision (like an etcd transaction or a revoked etcd lease) and
 * pause watch delivery, so tests can reproduce what a real cluster does to a watcher.
 *
 * <pre>{@code
 * InMemoryStore store = InMemoryStore.create();
 * store.put("/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\"}", Store.NO_TTL);
 * }</pre>
 *
 * <p>Thread-safe. Each watch has its own delivery thread; TTL expiry runs on one daemon thread.
 */
public final class InMemoryStore implements Store {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final TreeMap<String, Entry> data = new TreeMap<>();
  /** Every event after {@link #compactRevision}, in revision order. */
  private final List<StoreEvent> history = new ArrayList<>();
  private final Set<WatchImpl> watches = ConcurrentHashMap.newKeySet();
  private final Thread expirer;
  private long revision;
  private long compactRevision;
  private boolean paused;
  private boolean closed;

  private record Entry(String value, long modRevision, long expiresAtNanos) {
    boolean expired(long now) {
      return expiresAtNanos != 0 && now - expiresAtNanos >= 0;
    }
  }

  private InMemoryStore() {
    expirer = new Thread(this::expireLoop, "overlaynet-inmemory-store-ttl");
    expirer.setDaemon(true);
    expirer.start();
  }

  /** Returns a new, empty store. */
  public static InMemoryStore create() {
    return new InMemoryStore();
  }

  @Override
  public Optional<KeyValue> get(String key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      ensureOpen();
      Entry e = data.get(key);
      return e == null ? Optional.empty() : Optional.of(new KeyValue(key, e.value, e.modRevision));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Listing list(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    lock.lock();
    try {
      ensureOpen();
      List<KeyValue> out = new ArrayList<>();
      for (Map.Entry<String, Entry> e : data.tailMap(prefix, true).entrySet()) {
        if (!e.getKey().startsWith(prefix)) {
          break;
        }
        out.add(new KeyValue(e.getKey(), e.getValue().value, e.getValue().modRevision));
      }
      return new Listing(out, revision);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<Long> create(String key, String value, Duration ttl) {
    lock.lock();
    try {
      ensureOpen();
      if (data.containsKey(key)) {
        return Optional.empty();
      }
      return Optional.of(write(Map.of(key, value), ttl));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long put(String key, String value, Duration ttl) {
    return putAll(Map.of(key, value), ttl);
  }

  /**
   * Writes several keys in one revision, as one etcd transaction does; a watcher receives all of
   * them in the same batch.
   *
   * @return the revision of the write
   */
  public long putAll(Map<String, String> entries, Duration ttl) {
    checkArgument(!entries.isEmpty(), "nothing to write");
    lock.lock();
    try {
      ensureOpen();
      return write(entries, ttl);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean delete(String key) {
    return deleteAll(List.of(key)) > 0;
  }

  /**
   * Deletes several keys in one revision, as revoking one etcd lease that holds them does.
   *
   * @return how many of the keys existed
   */
  public int deleteAll(Collection<String> keys) {
    lock.lock();
    try {
      ensureOpen();
      List<String> present = keys.stream().filter(data::containsKey).distinct().toList();
      if (present.isEmpty()) {
        return 0;
      }
      long rev = ++revision;
      for (String k : present) {
        data.remove(k);
        history.add(StoreEvent.delete(k, rev));
      }
      changed.signalAll();
      return present.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Discards history before {@code atRevision}, as {@code etcdctl compact} does: a watch that
   * still needs an older revision is told {@link WatchListener#onCompacted} and ends.
   *
   * @throws IllegalArgumentException if {@code atRevision} is past the current revision
   */
  public void compact(long atRevision) {
    lock.lock();
    try {
      ensureOpen();
      checkArgument(atRevision <= revision, "cannot compact at %s, past the current revision %s",
          atRevision, revision);
      if (atRevision <= compactRevision) {
        return;
      }
      compactRevision = atRevision;
      history.removeIf(e -> e.revision() < atRevision);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Returns the current revision (that of the last write). */
  public long revision() {
    lock.lock();
    try {
      return revision;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Holds back all watch delivery, as a network partition between watchers and etcd does; writes
   * go on. {@link #resumeWatches} lets the watches catch up, or report compaction if the history
   * they need was compacted meanwhile. A test seam, not API: tests reach it through the test-jar's
   * {@code InMemoryStoreSeams}.
   */
  void pauseWatches() {
    lock.lock();
    try {
      paused = true;
    } finally {
      lock.unlock();
    }
  }

  /** Ends {@link #pauseWatches}. */
  void resumeWatches() {
    lock.lock();
    try {
      paused = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    lock.lock();
    try {
      ensureOpen();
      WatchImpl w = new WatchImpl(prefix, Math.max(1, fromRevision), listener);
      watches.add(w);
      w.thread.start();
      return w;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    expirer.interrupt();
    for (WatchImpl w : List.copyOf(watches)) {
      w.close();
    }
  }

  private long write(Map<String, String> entries, Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    checkArgument(!ttl.isNegative(), "negative TTL: %s", ttl);
    long expires = ttl.isZero() ? 0 : nonZero(System.nanoTime() + ttl.toNanos());
    long rev = ++revision;
    for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) {
      Objects.requireNonNull(e.getValue(), "value");
      data.put(e.getKey(), new Entry(e.getValue(), rev, expires));
      history.add(StoreEvent.put(e.getKey(), e.getValue(), rev));
    }
    changed.signalAll();
    return rev;
  }

  private static long nonZero(long nanos) {
    return nanos == 0 ? 1 : nanos;
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException("the in-memory store is closed");
    }
  }

  /** Removes keys whose TTL ran out, each in its own revision, as etcd lease expiry does. */
  private void expireLoop() {
    while (true) {
      lock.lock();
      try {
        if (closed) {
          return;
        }
        long now = System.nanoTime();
        List<String> expired = new ArrayList<>();
        data.forEach((k, e) -> {
          if (e.expired(now)) {
            expired.add(k);
          }
        });
        for (String k : expired) {
          data.remove(k);
          history.add(StoreEvent.delete(k, ++revision));
        }
        if (!expired.isEmpty()) {
          changed.signalAll();
        }
        changed.await(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  private final class WatchImpl implements Watch {
    private final String prefix;
    private final WatchListener listener;
    private final Thread thread;
    /** Held while a callback runs, so close() can wait for one in flight. */
    private final Object callbackLock = new Object();
    private volatile boolean stopped;
    private long next;

    WatchImpl(String prefix, long from, WatchListener listener) {
      this.prefix = prefix;
      this.next = from;
      this.listener = listener;
      this.thread = new Thread(this::run, "overlaynet-inmemory-watch");
      thread.setDaemon(true);
    }

    private void run() {
      try {
        while (!stopped) {
          List<StoreEvent> batch = new ArrayList<>();
          long compactedAt = -1;
          lock.lock();
          try {
            while (!stopped && !closed && (paused || history.isEmpty()
                || history.get(history.size() - 1).revision() < next)) {
              changed.await();
            }
            if (stopped || closed) {
              break;
            }
            if (next < compactRevision) {
              compactedAt = compactRevision;
            } else {
              for (StoreEvent e : history) {
                if (e.revision() >= next && e.key().startsWith(prefix)) {
                  batch.add(e);
                }
              }
              next = history.get(history.size() - 1).revision() + 1;
            }
          } finally {
            lock.unlock();
          }
          if (compactedAt >= 0) {
            long at = compactedAt;
            deliver(() -> listener.onCompacted(at));
            break;
          }
          if (!batch.isEmpty()) {
            deliver(() -> listener.onEvents(List.copyOf(batch)));
          }
        }
      } catch (InterruptedException e) {
        // close() interrupts a waiting thread: the watch is over.
      } finally {
        watches.remove(this);
      }
    }

    private void deliver(Runnable callback) {
      synchronized (callbackLock) {
        if (!stopped) {
          callback.run();
        }
      }
    }

    @Override
    public void close() {
      stopped = true;
      thread.interrupt();
      if (Thread.currentThread() != thread) {
        synchronized (callbackLock) {
          // Waits for a callback in flight: none starts after close returns.
        }
      }
    }
  }
}
