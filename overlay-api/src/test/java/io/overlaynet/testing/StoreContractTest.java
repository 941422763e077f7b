package io.overlaynet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Store} must have, written once and run against each implementation
 * (the in-memory store here, the etcd store in {@code overlay-store-etcd}).
 *
 * <p>A subclass supplies a store for each test; every key a test uses lives under {@link #prefix},
 * which is new for each test, so one etcd can serve many tests.
 */
public abstract class StoreContractTest {

  /** How long an asynchronous expectation may take before the test fails. */
  protected static final Duration PATIENCE = Duration.ofSeconds(10);

  /** The store under test, opened before each test and closed after it. */
  protected Store store;

  /** A key prefix (ending in {@code /}) that no other test uses. */
  protected String prefix;

  /** Returns a new store for one test; it is closed after the test. */
  protected abstract Store newStore() throws Exception;

  /**
   * Returns the shortest TTL the implementation honours, used by the expiry tests (etcd counts
   * whole seconds, and its expiry may come a little after the TTL).
   */
  protected Duration shortTtl() {
    return Duration.ofSeconds(1);
  }

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
    prefix = "/contract-" + System.nanoTime() + "/subnets/";
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void getOfMissingKeyIsEmpty() {
    assertEquals(Optional.empty(), store.get(prefix + "none"));
  }

  @Test
  void putThenGetReturnsValueAndRevision() {
    long rev = store.put(prefix + "a", "{\"x\":1}", Store.NO_TTL);
    KeyValue kv = store.get(prefix + "a").orElseThrow();
    assertEquals("{\"x\":1}", kv.value());
    assertEquals(rev, kv.modRevision());
  }

  @Test
  void createWritesOnlyWhenAbsent() {
    Optional<Long> first = store.create(prefix + "a", "one", Store.NO_TTL);
    Optional<Long> second = store.create(prefix + "a", "two", Store.NO_TTL);
    assertTrue(first.isPresent());
    assertEquals(Optional.empty(), second, "a second create of the same key must report 'exists'");
    assertEquals("one", store.get(prefix + "a").orElseThrow().value());
  }

  @Test
  void createSucceedsAgainAfterDelete() {
    store.create(prefix + "a", "one", Store.NO_TTL);
    assertTrue(store.delete(prefix + "a"));
    assertFalse(store.delete(prefix + "a"), "deleting a missing key reports false");
    assertTrue(store.create(prefix + "a", "two", Store.NO_TTL).isPresent());
  }

  @Test
  void revisionsIncrease() {
    long r1 = store.put(prefix + "a", "1", Store.NO_TTL);
    long r2 = store.put(prefix + "b", "2", Store.NO_TTL);
    long r3 = store.put(prefix + "a", "3", Store.NO_TTL);
    assertTrue(r1 < r2 && r2 < r3, "revisions " + r1 + ", " + r2 + ", " + r3);
  }

  @Test
  void listReturnsOnlyThePrefixInKeyOrderWithRevision() {
    store.put(prefix + "b", "2", Store.NO_TTL);
    store.put(prefix + "a", "1", Store.NO_TTL);
    long last = store.put(prefix + "c", "3", Store.NO_TTL);
    store.put(sibling() + "other", "no", Store.NO_TTL);
    Listing listing = store.list(prefix);
    List<String> keys = new ArrayList<>();
    listing.entries().forEach(kv -> keys.add(kv.key()));
    assertEquals(List.of(prefix + "a", prefix + "b", prefix + "c"), keys);
    assertTrue(listing.revision() >= last, "listing revision " + listing.revision() + " < " + last);
  }

  @Test
  void keyWithTtlExpiresAndWatchReportsRemoval() throws Exception {
    Listing start = store.list(prefix);
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, start.revision() + 1, rec)) {
      store.create(prefix + "ttl", "v", shortTtl());
      store.put(prefix + "forever", "v", Store.NO_TTL);
      awaitTrue(() -> store.get(prefix + "ttl").isEmpty(), "the key with a short TTL did not expire");
      rec.await(e -> e.type() == StoreEvent.Type.DELETE && e.key().equals(prefix + "ttl"));
    }
    assertTrue(store.get(prefix + "forever").isPresent(), "a key without TTL must not expire");
  }

  @Test
  void putRestartsTheTtl() throws Exception {
    Duration ttl = shortTtl().multipliedBy(3);
    store.create(prefix + "a", "v1", ttl);
    Thread.sleep(ttl.toMillis() * 2 / 3);
    store.put(prefix + "a", "v2", ttl);
    Thread.sleep(ttl.toMillis() * 2 / 3);
    assertEquals("v2", store.get(prefix + "a").orElseThrow().value(), "a re-put must restart the TTL");
  }

  @Test
  void watchDeliversEveryEventInOrderFromTheGivenRevision() throws Exception {
    long before = store.put(prefix + "seed", "s", Store.NO_TTL);
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, before + 1, rec)) {
      store.put(prefix + "a", "1", Store.NO_TTL);
      store.put(prefix + "b", "2", Store.NO_TTL);
      store.delete(prefix + "a");
      rec.awaitCount(3);
    }
    List<StoreEvent> ev = rec.events();
    assertEquals(3, ev.size(), "events: " + ev);
    assertEquals(StoreEvent.put(prefix + "a", "1", ev.get(0).revision()), ev.get(0));
    assertEquals(StoreEvent.put(prefix + "b", "2", ev.get(1).revision()), ev.get(1));
    assertEquals(StoreEvent.delete(prefix + "a", ev.get(2).revision()), ev.get(2));
    assertTrue(ev.get(0).revision() < ev.get(1).revision() && ev.get(1).revision() < ev.get(2).revision());
  }

  @Test
  void watchFromAnOldRevisionReplaysHistory() throws Exception {
    long r1 = store.put(prefix + "a", "1", Store.NO_TTL);
    store.put(prefix + "b", "2", Store.NO_TTL);
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, r1, rec)) {
      rec.awaitCount(2);
    }
    assertEquals(List.of(prefix + "a", prefix + "b"), rec.events().stream().map(StoreEvent::key).toList());
  }

  @Test
  void watchIgnoresOtherPrefixes() throws Exception {
    long rev = store.list(prefix).revision();
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
      store.put(sibling() + "other", "no", Store.NO_TTL);
      store.put(prefix + "mine", "yes", Store.NO_TTL);
      rec.awaitCount(1);
      Thread.sleep(200);
    }
    assertEquals(List.of(prefix + "mine"), rec.events().stream().map(StoreEvent::key).toList());
  }

  @Test
  void closedWatchDeliversNothingMore() throws Exception {
    long rev = store.list(prefix).revision();
    Recorder rec = new Recorder();
    Store.Watch w = store.watch(prefix, rev + 1, rec);
    store.put(prefix + "a", "1", Store.NO_TTL);
    rec.awaitCount(1);
    w.close();
    w.close();
    store.put(prefix + "b", "2", Store.NO_TTL);
    Thread.sleep(300);
    assertEquals(1, rec.events().size(), "events after close: " + rec.events());
  }

  @Test
  void watchFromACompactedRevisionReportsCompaction() throws Exception {
    long r1 = store.put(prefix + "a", "1", Store.NO_TTL);
    store.put(prefix + "a", "2", Store.NO_TTL);
    long r3 = store.put(prefix + "a", "3", Store.NO_TTL);
    compact(r3);
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, r1, rec)) {
      long compactRevision = rec.awaitCompacted();
      assertTrue(compactRevision > r1, "compact revision " + compactRevision + " must be past " + r1);
    }
  }

  /** Compacts the store's history up to {@code revision}, as {@code etcdctl compact} does. */
  protected abstract void compact(long revision) throws Exception;

  /** A prefix beside {@link #prefix}: same parent, other name. */
  private String sibling() {
    return prefix.substring(0, prefix.length() - 1) + "-other/";
  }

  /** Polls {@code condition} until it holds or {@link #PATIENCE} runs out. */
  protected static void awaitTrue(BooleanSupplier condition, String failure) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure + " within " + PATIENCE);
      }
      Thread.sleep(20);
    }
  }

  /** A watch listener that records what it is told, for assertions. */
  protected static final class Recorder implements Store.WatchListener {
    private final List<StoreEvent> events = new CopyOnWriteArrayList<>();
    private final List<List<StoreEvent>> batches = new CopyOnWriteArrayList<>();
    private final CountDownLatch compacted = new CountDownLatch(1);
    private volatile long compactRevision = -1;

    /** Creates a recorder; also for subclasses in other packages (a store of your own). */
    public Recorder() {}

    @Override
    public void onEvents(List<StoreEvent> batch) {
      batches.add(List.copyOf(batch));
      events.addAll(batch);
    }

    @Override
    public void onCompacted(long revision) {
      compactRevision = revision;
      compacted.countDown();
    }

    /** Returns every event so far, in delivery order. */
    public List<StoreEvent> events() {
      return List.copyOf(events);
    }

    /** Returns the batches as delivered. */
    public List<List<StoreEvent>> batches() {
      return List.copyOf(batches);
    }

    /** Waits until at least {@code n} events arrived. */
    public void awaitCount(int n) throws InterruptedException {
      awaitTrue(() -> events.size() >= n, "expected " + n + " watch events, got " + events);
    }

    /** Waits until an event matching {@code p} arrived. */
    public void await(Predicate<StoreEvent> p) throws InterruptedException {
      awaitTrue(() -> events.stream().anyMatch(p), "expected watch event not seen in " + events);
    }

    /** Waits for {@link #onCompacted} and returns its revision. */
    public long awaitCompacted() throws InterruptedException {
      if (!compacted.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("onCompacted was not called within " + PATIENCE + "; events " + events);
      }
      return compactRevision;
    }
  }
}
