package io.overlaynet.examples;

import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Embedding example: a {@link Store} of your own. This one wraps any store and counts its calls,
 * failures and watch events per operation, for an orchestrator's metrics; a store over your own
 * database is written the same way, against the same contract. Prove it with the contract suite:
 * extend {@code StoreContractTest} from overlay-api's test-jar ({@code CountingStoreTest} does).
 *
 * <pre>{@code
 * CountingStore store = CountingStore.over(EtcdStore.connect(etcdOptions));
 * Agent agent = Agent.builder().store(store, "/coreos.com/network").build();
 * ...
 * store.counts();   // {create=1, get=1, list=2, put=1, watch=2, watch-events=7}
 * }</pre>
 */
public final class CountingStore implements Store {

  private final Store inner;
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  private CountingStore(Store inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  /** Wraps {@code inner}; closing this store closes it. */
  public static CountingStore over(Store inner) {
    return new CountingStore(inner);
  }

  /** Returns the counts so far, by operation ({@code get}, {@code get-failed}, ..., {@code watch-events}). */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  private void count(String what, long n) {
    counts.computeIfAbsent(what, k -> new LongAdder()).add(n);
  }

  private <T> T counted(String op, Supplier<T> call) {
    count(op, 1);
    try {
      return call.get();
    } catch (StoreException e) {
      count(op + "-failed", 1);
      throw e;
    }
  }

  @Override
  public Optional<KeyValue> get(String key) {
    return counted("get", () -> inner.get(key));
  }

  @Override
  public Listing list(String prefix) {
    return counted("list", () -> inner.list(prefix));
  }

  @Override
  public Optional<Long> create(String key, String value, Duration ttl) {
    return counted("create", () -> inner.create(key, value, ttl));
  }

  @Override
  public long put(String key, String value, Duration ttl) {
    return counted("put", () -> inner.put(key, value, ttl));
  }

  @Override
  public boolean delete(String key) {
    return counted("delete", () -> inner.delete(key));
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    return counted("watch", () -> inner.watch(prefix, fromRevision, new WatchListener() {
      @Override
      public void onEvents(List<StoreEvent> events) {
        count("watch-events", events.size());
        listener.onEvents(events);
      }

      @Override
      public void onCompacted(long compactRevision) {
        count("watch-compacted", 1);
        listener.onCompacted(compactRevision);
      }

      @Override
      public void onError(Throwable error) {
        count("watch-ended", 1);
        listener.onError(error);
      }
    }));
  }

  @Override
  public void close() {
    inner.close();
  }
}
