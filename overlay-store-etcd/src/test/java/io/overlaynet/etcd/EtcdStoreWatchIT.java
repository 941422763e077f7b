package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.etcd.testing.WatchRecorder;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Watch behaviour that only a real etcd shows: multi-key revisions, restarts, compaction while
 * disconnected, and the supervision rules (no loss, no duplicate, no overlap, prompt close).
 */
@SuppressWarnings("try") // try-with-resources for watches that are only closed
class EtcdStoreWatchIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  /** The transport under test; {@code EtcdStoreWatchGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final Pattern LEASE_ID = Pattern.compile("lease ([0-9a-f]+) granted");

  private EtcdStore store;
  private String prefix;

  @BeforeEach
  void open() {
    store = EtcdStore.connect(options());
    prefix = "/watch-" + System.nanoTime() + "/subnets/";
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void threeKeysWrittenInOneTransactionArriveAsThreePutsInOneCall() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec);
        Client jetcd = Client.builder().endpoints(ETCD.endpoint()).build()) {
      jetcd.getKVClient().txn()
          .Then(put(prefix + "10.5.1.0-24", lease("192.0.2.1")),
              put(prefix + "10.5.2.0-24", lease("192.0.2.2")),
              put(prefix + "10.5.3.0-24", lease("192.0.2.3")))
          .commit().get(10, TimeUnit.SECONDS);
      rec.awaitCount(3, PATIENCE);
    }
    assertEquals(1, rec.batches().size(), "one revision, one onEvents call: " + rec.batches());
    List<StoreEvent> batch = rec.batches().get(0);
    assertEquals(3, batch.size());
    long revision = batch.get(0).revision();
    for (int i = 0; i < 3; i++) {
      StoreEvent e = batch.get(i);
      assertEquals(StoreEvent.Type.PUT, e.type());
      assertEquals(prefix + "10.5." + (i + 1) + ".0-24", e.key());
      assertEquals(lease("192.0.2." + (i + 1)), e.value());
      assertEquals(revision, e.revision(), "all three in the transaction's revision");
    }
  }

  @Test
  void revokingOneEtcdLeaseHoldingThreeKeysArrivesAsThreeDeletesInOneCall() throws Exception {
    // Written the way flanneld's peers would see a foreign writer: etcdctl, one lease, 3 keys.
    Matcher m = LEASE_ID.matcher(ETCD.server().etcdctl("lease", "grant", "600"));
    assertTrue(m.find());
    String leaseId = m.group(1);
    for (int i = 1; i <= 3; i++) {
      ETCD.server().etcdctl("put", "--lease=" + leaseId, prefix + "10.5." + i + ".0-24", lease("192.0.2." + i));
    }
    long rev = store.list(prefix).revision();
    assertEquals(3, store.list(prefix).entries().size());
    WatchRecorder rec = new WatchRecorder();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
      ETCD.server().etcdctl("lease", "revoke", leaseId);
      rec.awaitCount(3, PATIENCE);
      Thread.sleep(200);
    }
    assertEquals(1, rec.batches().size(), "one revision, one onEvents call: " + rec.batches());
    Set<String> removed = new HashSet<>();
    for (StoreEvent e : rec.batches().get(0)) {
      assertEquals(StoreEvent.Type.DELETE, e.type());
      assertEquals("", e.value());
      assertEquals(rec.batches().get(0).get(0).revision(), e.revision());
      removed.add(e.key());
    }
    assertEquals(Set.of(prefix + "10.5.1.0-24", prefix + "10.5.2.0-24", prefix + "10.5.3.0-24"), removed);
  }

  @Test
  void watchSurvivesAnEtcdRestartWithoutLossOrDuplicate() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    List<Long> written = new ArrayList<>();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
      for (int i = 0; i < 5; i++) {
        written.add(store.put(prefix + "before-" + i, "v" + i, Store.NO_TTL));
      }
      rec.awaitCount(5, PATIENCE);
      ETCD.server().stop();
      Thread.sleep(4_000);
      ETCD.server().start();
      // Written while the watch is still in back-off: it must pick them up from history.
      for (int i = 0; i < 5; i++) {
        written.add(putRetrying(prefix + "after-" + i, "v" + i));
      }
      written.add(store.put(prefix + "before-0", "changed", Store.NO_TTL));
      assertTrue(store.delete(prefix + "before-1"));
      rec.awaitCount(12, PATIENCE);
      Thread.sleep(500);
    }
    List<StoreEvent> events = rec.events();
    assertEquals(12, events.size(), "every event exactly once: " + events);
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i - 1).revision() < events.get(i).revision(), "in revision order: " + events);
    }
    for (int i = 0; i < written.size(); i++) {
      assertEquals(written.get(i), events.get(i).revision());
    }
    assertEquals(StoreEvent.put(prefix + "before-0", "changed", written.get(10)), events.get(10));
    assertEquals(StoreEvent.Type.DELETE, events.get(11).type());
    assertFalse(rec.overlapped());
  }

  @Test
  void watchSurvivesAnEtcdCrash() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
      store.put(prefix + "a", "1", Store.NO_TTL);
      rec.awaitCount(1, PATIENCE);
      ETCD.server().kill();
      Thread.sleep(1_000);
      ETCD.server().start();
      putRetrying(prefix + "b", "2");
      rec.awaitCount(2, PATIENCE);
      Thread.sleep(300);
    }
    assertEquals(List.of(prefix + "a", prefix + "b"), rec.events().stream().map(StoreEvent::key).toList());
  }

  @Test
  void compactionWhileDisconnectedIsReportedOnResume() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    SupervisedWatch w = (SupervisedWatch) store.watch(prefix, rev + 1, rec);
    try {
      store.put(prefix + "a", "1", Store.NO_TTL);
      rec.awaitCount(1, PATIENCE);
      // The live watch misses history: disconnected while more is written and compacted away.
      w.suspendForTest();
      store.put(prefix + "b", "2", Store.NO_TTL);
      long last = store.put(prefix + "c", "3", Store.NO_TTL);
      ETCD.server().compact(last);
      w.resumeForTest();
      rec.awaitEnd(PATIENCE);
      store.put(prefix + "d", "4", Store.NO_TTL);
      Thread.sleep(300);
      assertEquals(List.of(last), rec.compactions(), "onCompacted once, with etcd's compact revision");
      assertEquals(List.of(prefix + "a"), rec.events().stream().map(StoreEvent::key).toList(),
          "nothing after the compaction notice");
      assertTrue(rec.errors().isEmpty(), "no onError: " + rec.errors());
    } finally {
      w.close();
    }
  }

  @Test
  void compactionUpToTheResumeRevisionIsNotAGap() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    SupervisedWatch w = (SupervisedWatch) store.watch(prefix, rev + 1, rec);
    try {
      long a = store.put(prefix + "a", "1", Store.NO_TTL);
      rec.awaitCount(1, PATIENCE);
      w.suspendForTest();
      // Compacting up to the last delivered revision loses nothing the watch still needs.
      ETCD.server().compact(a);
      long b = store.put(prefix + "b", "2", Store.NO_TTL);
      w.resumeForTest();
      rec.awaitCount(2, PATIENCE);
      assertEquals(b, rec.events().get(1).revision());
      assertTrue(rec.compactions().isEmpty());
    } finally {
      w.close();
    }
  }

  @Test
  void aTransientErrorResumesFromTheLastDeliveredRevision() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    SupervisedWatch w = (SupervisedWatch) store.watch(prefix, rev + 1, rec);
    try {
      long first = store.put(prefix + "x0", "0", Store.NO_TTL);
      rec.awaitCount(1, PATIENCE);
      for (int round = 1; round <= 3; round++) {
        w.failForTest();
        store.put(prefix + "x" + round, Integer.toString(round), Store.NO_TTL);
      }
      rec.awaitCount(4, PATIENCE);
      Thread.sleep(500);
      List<StoreEvent> events = rec.events();
      assertEquals(4, events.size(), "no loss, no duplicate: " + events);
      assertEquals(first, events.get(0).revision());
      assertEquals(events.get(3).revision() + 1, w.nextRevisionForTest());
    } finally {
      w.close();
    }
  }

  @Test
  void everyEventOfALongHistoryArrivesOnceInOrder() throws Exception {
    long rev = store.list(prefix).revision();
    int n = 1_500;
    try (Client jetcd = Client.builder().endpoints(ETCD.endpoint()).build()) {
      List<java.util.concurrent.CompletableFuture<?>> pending = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        pending.add(jetcd.getKVClient().put(bytes(prefix + "k" + i), bytes("v" + i)));
      }
      for (var f : pending) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
    WatchRecorder rec = new WatchRecorder();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
      rec.awaitCount(n, PATIENCE);
      Thread.sleep(200);
    }
    List<StoreEvent> events = rec.events();
    assertEquals(n, events.size());
    for (int i = 1; i < n; i++) {
      assertTrue(events.get(i - 1).revision() < events.get(i).revision());
    }
    assertFalse(rec.overlapped());
  }

  @Test
  void closingFromInsideTheListenerStopsDelivery() throws Exception {
    long rev = store.list(prefix).revision();
    AtomicReference<Store.Watch> self = new AtomicReference<>();
    List<StoreEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Store.WatchListener closer = new Store.WatchListener() {
      @Override
      public void onEvents(List<StoreEvent> events) {
        seen.addAll(events);
        self.get().close();
      }

      @Override
      public void onCompacted(long compactRevision) {}
    };
    store.put(prefix + "a", "1", Store.NO_TTL);
    store.put(prefix + "b", "2", Store.NO_TTL);
    self.set(store.watch(prefix, rev + 1, closer));
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (seen.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    store.put(prefix + "c", "3", Store.NO_TTL);
    Thread.sleep(300);
    assertFalse(seen.isEmpty());
    assertFalse(seen.stream().anyMatch(e -> e.key().endsWith("c")), "delivery after close: " + seen);
  }

  @Test
  void closingTheStoreEndsItsWatchesWithOnError() throws Exception {
    long rev = store.list(prefix).revision();
    WatchRecorder rec = new WatchRecorder();
    store.watch(prefix, rev + 1, rec);
    store.close();
    rec.awaitEnd(PATIENCE);
    assertEquals(1, rec.errors().size());
    assertTrue(rec.errors().get(0) instanceof StoreException);
  }

  @Test
  void aWatchStartedWhileEtcdIsDownDeliversOnceItIsBack() throws Exception {
    long rev = store.list(prefix).revision();
    ETCD.server().stop();
    WatchRecorder rec = new WatchRecorder();
    try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
      Thread.sleep(1_000);
      ETCD.server().start();
      putRetrying(prefix + "a", "1");
      rec.awaitCount(1, PATIENCE);
    }
    assertEquals(List.of(prefix + "a"), rec.events().stream().map(StoreEvent::key).toList());
  }

  /** Puts, retrying while the freshly restarted etcd (or our reconnect) is not ready yet. */
  private long putRetrying(String key, String value) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      try {
        return store.put(key, value, Store.NO_TTL);
      } catch (StoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static Op put(String key, String value) {
    return Op.put(bytes(key), bytes(value), PutOption.DEFAULT);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  /** A flanneld v0.20 vxlan lease value, byte for byte. */
  static String lease(String publicIp) {
    return "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}}";
  }
}
