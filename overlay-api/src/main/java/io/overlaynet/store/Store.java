package io.overlaynet.store;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A narrow key-value store with TTLs and watches: all the subnet manager needs from etcd.
 *
 * <p>Two implementations exist: {@link InMemoryStore} (in this module, the embedded default) and
 * the etcd store of {@code overlay-store-etcd}. Both pass the same contract test suite
 * ({@code io.overlaynet.testing.StoreContractTest} in this module's test-jar).
 *
 * <p>Every call is bounded by the implementation's request timeout: a store that cannot be
 * reached makes a call fail with {@link StoreUnavailableException}, never hang. Keys and values
 * are UTF-8 text.
 *
 * <pre>{@code
 * try (Store store = InMemoryStore.create()) {
 *   store.create("/coreos.com/network/subnets/10.5.2.0-24", "{...}", Duration.ofHours(24));
 *   Listing all = store.list("/coreos.com/network/subnets/");
 *   try (Store.Watch w = store.watch("/coreos.com/network/subnets/", all.revision() + 1, listener)) {
 *     ...
 *   }
 * }
 * }</pre>
 */
public interface Store extends AutoCloseable {

  /** Means "no TTL": the key lives until it is deleted. */
  Duration NO_TTL = Duration.ZERO;

  /**
   * Reads one key.
   *
   * @throws StoreException if the store cannot answer
   */
  Optional<KeyValue> get(String key);

  /**
   * Lists every key that starts with {@code prefix}, in key order, with the store revision.
   *
   * @throws StoreException if the store cannot answer
   */
  Listing list(String prefix);

  /**
   * Creates {@code key} only if it does not exist (etcd: a transaction on {@code version == 0}).
   *
   * @param ttl how long the key lives unless re-put; {@link #NO_TTL} for ever (whole seconds)
   * @return the revision of the write, or empty if the key already existed (nothing was written)
   * @throws StoreException if the store cannot answer
   */
  Optional<Long> create(String key, String value, Duration ttl);

  /**
   * Writes {@code key}, replacing any value, with a fresh TTL (flannel's renewal: the key is put
   * again under a new 24 h lease).
   *
   * @param ttl how long the key lives unless re-put; {@link #NO_TTL} for ever (whole seconds)
   * @return the revision of the write
   * @throws StoreException if the store cannot answer
   */
  long put(String key, String value, Duration ttl);

  /**
   * Deletes {@code key}.
   *
   * @return whether the key existed
   * @throws StoreException if the store cannot answer
   */
  boolean delete(String key);

  /**
   * Watches every key under {@code prefix}, starting at {@code fromRevision} (inclusive).
   *
   * <p>The implementation supervises the watch: after a disconnect it resumes from the last
   * delivered revision + 1, so no event is lost or repeated. Events arrive in revision order, on
   * one thread at a time; all events of one revision arrive in the same call. If the history the
   * watch needs is gone (compacted), {@link WatchListener#onCompacted} is called once and the watch
   * ends: the caller lists again and watches from the new revision.
   *
   * @throws StoreException if the watch cannot be started
   */
  Watch watch(String prefix, long fromRevision, WatchListener listener);

  /** Releases the store's connections and stops its watches; idempotent. */
  @Override
  void close();

  /** Receives the events of one {@link #watch}. Callbacks must not block for long. */
  interface WatchListener {

    /** Called with one or more events, in revision order. */
    void onEvents(List<StoreEvent> events);

    /**
     * Called once when history from the requested revision is no longer available; the watch has
     * ended. {@code compactRevision} is the oldest revision the store still holds.
     */
    void onCompacted(long compactRevision);

    /**
     * Called when the watch has ended for good for another reason (the store was closed, or it
     * refused the watch). Transient disconnects are not reported here: they are retried.
     */
    default void onError(Throwable error) {}
  }

  /** A running watch; closing it stops delivery promptly. */
  interface Watch extends AutoCloseable {

    /** Stops the watch; no callback starts after this returns. Idempotent. */
    @Override
    void close();
  }
}
