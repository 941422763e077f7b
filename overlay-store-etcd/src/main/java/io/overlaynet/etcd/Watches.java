package io.overlaynet.etcd;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.store.Store;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The live watches of one store, whatever its transport: starting them, ending them all when the
 * store closes (also one that a racing {@code close()} did not see), and the test hooks. Internal.
 */
final class Watches {

  private static final AtomicInteger STORE_IDS = new AtomicInteger();

  private final Set<SupervisedWatch> live = ConcurrentHashMap.newKeySet();
  private final WatchSource source;
  private final BooleanSupplier storeClosed;
  private final String threadNamePrefix;

  Watches(WatchSource source, BooleanSupplier storeClosed) {
    this.source = source;
    this.storeClosed = storeClosed;
    this.threadNamePrefix = "overlaynet-etcd-watch-" + STORE_IDS.incrementAndGet() + "-";
  }

  /** Starts a supervised watch; see {@link Store#watch}. The caller checked the store is open. */
  Store.Watch start(String prefix, long fromRevision, Store.WatchListener listener) {
    checkArgument(!prefix.isEmpty(), "empty prefix would watch the whole etcd keyspace");
    checkArgument(fromRevision >= 0, "negative revision: %s", fromRevision);
    SupervisedWatch watch = new SupervisedWatch(source, prefix, fromRevision, listener, live::remove,
        threadNamePrefix);
    live.add(watch);
    if (storeClosed.getAsBoolean()) {
      // close() ran between the caller's check and the add: it did not see this watch.
      watch.endBecauseStoreClosed();
      return watch;
    }
    watch.start();
    return watch;
  }

  /** Ends every live watch with {@code onError}: the store is closing. */
  void endAll() {
    for (SupervisedWatch w : List.copyOf(live)) {
      w.endBecauseStoreClosed();
    }
  }

  /** Test hook: disconnects every live watch until {@link #resumeWatchesForTest}. */
  void suspendWatchesForTest() {
    List.copyOf(live).forEach(SupervisedWatch::suspendForTest);
  }

  /** Test hook: lets every suspended watch resume from its last delivered revision + 1. */
  void resumeWatchesForTest() {
    List.copyOf(live).forEach(SupervisedWatch::resumeForTest);
  }
}
