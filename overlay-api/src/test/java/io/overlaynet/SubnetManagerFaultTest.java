package io.overlaynet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.InMemoryStoreSeams;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import io.overlaynet.testing.FaultyStore;
import io.overlaynet.testing.LeaseRecorder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The subnet manager under store faults: watches the store ends, an unreachable store, the node's
 * own key deleted, expired or overwritten. None of these may leave the node blind or make it give
 * up a subnet that is still free.
 */
class SubnetManagerFaultTest {

  static final String PREFIX = "/coreos.com/network";
  static final String SUBNETS = PREFIX + "/subnets/";

  final FaultyStore store = FaultyStore.over(InMemoryStore.create());
  final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    store.close();
  }

  SubnetManager manager(SubnetManagerOptions options) {
    store.inner().put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}",
        Store.NO_TTL);
    SubnetManager sm = SubnetManager.overStore(store, options);
    toClose.add(sm);
    return sm;
  }

  static LeaseAttrs node(int n) {
    return LeaseAttrs.of(Ip4.parse("192.0.2." + n));
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within 15 s: " + what);
      Thread.sleep(10);
    }
  }

  // ------------------------------------------------------------------ the watch of every lease

  @Test
  void aWatchTheStoreEndsIsSetUpAgainWithAFreshSnapshot() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    store.inner().put(SUBNETS + "10.5.1.0-24", LeaseCodec.toJson(node(1)), Store.NO_TTL);
    LeaseRecorder rec = new LeaseRecorder();
    toClose.add(sm.watchLeases(rec));
    store.endWatches(new StoreException("injected: the watch was cancelled"));
    store.inner().delete(SUBNETS + "10.5.1.0-24"); // while no watch runs
    rec.awaitSnapshots(2);
    assertEquals(Set.of(), rec.viewSubnets(), "the re-list sees the lease gone");
    // And the new watch delivers.
    store.inner().put(SUBNETS + "10.5.2.0-24", LeaseCodec.toJson(node(2)), Store.NO_TTL);
    rec.awaitCondition(() -> rec.viewSubnets().contains("10.5.2.0/24"), () -> "no event after the re-watch");
    assertEquals(List.of(), rec.errors);
  }

  @Test
  void anUnreachableStoreIsRetriedUntilItAnswersAndNothingIsMissed() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    LeaseRecorder rec = new LeaseRecorder();
    toClose.add(sm.watchLeases(rec));
    store.cutOff();
    store.endWatches(new StoreException("injected: connection lost"));
    store.inner().put(SUBNETS + "10.5.3.0-24", LeaseCodec.toJson(node(3)), Store.NO_TTL);
    await(() -> store.failedCalls() >= 3, "re-list attempts while cut off");
    assertEquals(1, rec.snapshots.size());
    store.reconnect();
    rec.awaitSnapshots(2);
    assertEquals(Set.of("10.5.3.0/24"), rec.viewSubnets());
    assertEquals(List.of(), rec.errors, "an unreachable store is not an error that ends the watch");
  }

  @Test
  void aStoreThatRefusesTheReListEndsTheWatchWithTheReason() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    LeaseRecorder rec = new LeaseRecorder();
    toClose.add(sm.watchLeases(rec));
    store.failWith(new StoreException("injected: etcdserver: permission denied"), Set.of());
    store.endWatches(new StoreException("injected: etcdserver: permission denied"));
    rec.awaitCondition(() -> !rec.errors.isEmpty(), () -> "the permanent failure was not reported");
    assertTrue(rec.errors.get(0).getMessage().contains("permission denied"), rec.errors.get(0).getMessage());
  }

  // ------------------------------------------------------------------ the node's own lease

  /** Records what the keeper reports. */
  static final class KeeperRecorder implements LeaseKeeperListener {
    final List<Lease> renewed = new CopyOnWriteArrayList<>();
    final List<Throwable> renewFailed = new CopyOnWriteArrayList<>();
    final List<Lease> lost = new CopyOnWriteArrayList<>();
    final List<Throwable> failed = new CopyOnWriteArrayList<>();

    @Override
    public void onRenewed(Lease lease) {
      renewed.add(lease);
    }

    @Override
    public void onRenewFailed(Throwable error, Instant retryAt) {
      renewFailed.add(error);
    }

    @Override
    public void onLost(Lease lease) {
      lost.add(lease);
    }

    @Override
    public void onFailed(Throwable error) {
      failed.add(error);
    }
  }

  Optional<String> valueOf(Lease lease) {
    return store.inner().get(SUBNETS + lease.key()).map(kv -> kv.value());
  }

  @Test
  void aDeletedOwnLeaseIsCreatedAgainWithTheSameSubnet() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    store.inner().delete(SUBNETS + lease.key());
    await(() -> valueOf(lease).isPresent(), "the key back in the store");
    assertEquals(LeaseCodec.toJson(node(11)), valueOf(lease).orElseThrow());
    await(() -> !k.renewed.isEmpty(), "onRenewed for the re-created lease");
    assertTrue(k.renewed.get(0).expiration().orElseThrow().isAfter(Instant.now().plus(Duration.ofHours(23))));
    assertEquals(List.of(), k.lost);
  }

  @Test
  void anOwnLeaseOverwrittenWithThisNodesIpIsWrittenBack() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    LeaseAttrs mine = node(11).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:11\"}");
    Lease lease = sm.acquireLease(mine);
    toClose.add(sm.keepLease(lease, new KeeperRecorder()));
    String foreign = LeaseCodec.toJson(node(11).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:99\"}"));
    store.inner().put(SUBNETS + lease.key(), foreign, Duration.ofHours(24));
    await(() -> valueOf(lease).orElse("").equals(LeaseCodec.toJson(mine)), "this node's value written back");
    // Garbage in the key is ours to overwrite too: no other node can claim a subnet with it.
    store.inner().put(SUBNETS + lease.key(), "{not json", Duration.ofHours(24));
    await(() -> valueOf(lease).orElse("").equals(LeaseCodec.toJson(mine)), "garbage replaced by this node's value");
  }

  @Test
  void anOwnSubnetAnotherNodeHoldsIsReportedLost() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    store.inner().put(SUBNETS + lease.key(), LeaseCodec.toJson(node(12)), Duration.ofHours(24));
    await(() -> !k.lost.isEmpty(), "onLost");
    assertEquals(LeaseCodec.toJson(node(12)), valueOf(lease).orElseThrow(), "the other node's lease is left alone");
  }

  @Test
  void renewalFailuresAreRetriedWithBackOffUntilTheStoreAnswers() throws Exception {
    // Renewed every ~0.5 s (3 s TTL, 2.5 s margin); the store is away for 1.5 s, less than the TTL.
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(3))
        .withRenewMargin(Duration.ofMillis(2500)).withRenewRetryDelay(Duration.ofSeconds(1)));
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    await(() -> !k.renewed.isEmpty(), "a first renewal");
    store.failWith(new io.overlaynet.store.StoreUnavailableException("injected: timeout"), Set.of("put"));
    await(() -> k.renewFailed.size() >= 2, "renewals failing while the store is away");
    int renewedBefore = k.renewed.size();
    store.reconnect();
    await(() -> k.renewed.size() > renewedBefore, "a renewal once the store answers");
    assertTrue(valueOf(lease).isPresent(), "the lease never expired");
    assertEquals(List.of(), k.lost);
  }

  @Test
  void aLeaseThatExpiredWhileCutOffIsReacquiredWithTheSameSubnet() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(2))
        .withRenewMargin(Duration.ofMillis(1000)).withRenewRetryDelay(Duration.ofMillis(500)));
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    store.cutOff();
    await(() -> valueOf(lease).isEmpty(), "the key expiring in the store while cut off");
    Thread.sleep(300);
    store.reconnect();
    await(() -> valueOf(lease).isPresent(), "the same subnet taken again");
    assertEquals(LeaseCodec.toJson(node(11)), valueOf(lease).orElseThrow());
    assertEquals(List.of(), k.lost);
    assertEquals(List.of(), k.failed);
  }

  @Test
  void aLeaseThatExpiredAndWasTakenByAnotherNodeIsLost() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(2))
        .withRenewMargin(Duration.ofMillis(1000)).withRenewRetryDelay(Duration.ofMillis(500)));
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    store.cutOff();
    await(() -> valueOf(lease).isEmpty(), "the key expiring in the store while cut off");
    store.inner().create(SUBNETS + lease.key(), LeaseCodec.toJson(node(12)), Duration.ofHours(24));
    store.reconnect();
    await(() -> !k.lost.isEmpty(), "onLost once the store answers");
    assertEquals(LeaseCodec.toJson(node(12)), valueOf(lease).orElseThrow(), "the other node keeps the subnet");
  }

  @Test
  void theOwnLeaseWatchIsSetUpAgainWhenTheStoreEndsIt() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    await(() -> store.liveWatches() == 1, "the keeper watching its key"); // it starts watching asynchronously
    store.endWatches(new StoreException("injected: the watch was cancelled"));
    // Deleted before or after the keeper watches again: either the new listing or the new watch sees it.
    store.inner().delete(SUBNETS + lease.key());
    await(() -> valueOf(lease).isPresent(), "the deletion seen by the new watch and the key created again");
    assertEquals(List.of(), k.failed);
  }

  @Test
  void aStoreThatRefusesTheKeeperForGoodIsReported() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    await(() -> store.liveWatches() == 1, "the keeper watching its key"); // it starts watching asynchronously
    store.failWith(new StoreException("injected: etcdserver: permission denied"), Set.of());
    store.endWatches(new StoreException("injected: etcdserver: permission denied"));
    await(() -> !k.failed.isEmpty(), "onFailed");
    assertTrue(k.failed.get(0).getMessage().contains("permission denied"));
  }

  // ------------------------------------------------------------------ from the review of the keeper

  SubnetManager manager(Store over, SubnetManagerOptions options) {
    store.inner().put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}",
        Store.NO_TTL);
    SubnetManager sm = SubnetManager.overStore(over, options);
    toClose.add(sm);
    return sm;
  }

  /** Calls work again, without resuming held-back watches. */
  void callsWorkAgain() {
    store.failWith(new StoreUnavailableException("unused"), Set.of("no-such-op"));
  }

  @Test
  void twoAgentsClaimingOnePublicIpDoNotOverwriteEachOtherInATightLoop() throws Exception {
    SubnetManager sm1 = manager(SubnetManagerOptions.DEFAULT);
    SubnetManager sm2 = manager(SubnetManagerOptions.DEFAULT);
    Lease a = sm1.acquireLease(node(11).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:01\"}"));
    Lease b = sm2.acquireLease(node(11).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:02\"}"));
    assertEquals(a.subnet(), b.subnet(), "flannel finds a lease by public IP: both take the same");
    KeeperRecorder ka = new KeeperRecorder();
    KeeperRecorder kb = new KeeperRecorder();
    toClose.add(sm1.keepLease(a, ka));
    toClose.add(sm2.keepLease(b, kb));
    Thread.sleep(300);
    long r0 = store.inner().revision();
    Thread.sleep(1000);
    long writes = store.inner().revision() - r0;
    assertTrue(writes < 10, "writes to one key in 1 s: " + writes);
    // And one of them gives up, saying why, instead of fighting for ever.
    await(() -> !ka.failed.isEmpty() || !kb.failed.isEmpty(), "a keeper giving up");
    Throwable why = !ka.failed.isEmpty() ? ka.failed.get(0) : kb.failed.get(0);
    assertTrue(why.getMessage().contains("same public IP"), why.getMessage());
  }

  @Test
  void aFailedReCreateIsNeverRetriedAsABlindPut() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withRenewRetryDelay(Duration.ofMillis(300)));
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    await(() -> store.liveWatches() == 1, "the keeper watching its key");
    store.failWith(new StoreUnavailableException("injected: etcd leader election"), Set.of("create"));
    int before = store.failedCalls();
    store.inner().delete(SUBNETS + lease.key());
    await(() -> store.failedCalls() > before, "the create-if-absent failing");
    InMemoryStoreSeams.pauseWatches(store.inner()); // the keeper's watch lags, and node 12 takes the free subnet
    store.inner().create(SUBNETS + lease.key(), LeaseCodec.toJson(node(12)), Duration.ofHours(24));
    callsWorkAgain();
    await(() -> !k.lost.isEmpty(), "onLost: the subnet is node 12's now");
    assertEquals(LeaseCodec.toJson(node(12)), valueOf(lease).orElseThrow(), "node 12's lease was overwritten");
  }

  @Test
  void aLeaseStillThereAfterItsExpiryIsRenewed() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(2))
        .withRenewMargin(Duration.ofMillis(1000)).withRenewRetryDelay(Duration.ofMillis(500)));
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    await(() -> store.liveWatches() == 1, "the keeper watching its key");
    store.failWith(new StoreUnavailableException("injected: timeout"), Set.of("put"));
    // etcd re-grants leases their full TTL on a leader change: the key outlives our count.
    store.inner().put(SUBNETS + lease.key(), LeaseCodec.toJson(node(11)), Duration.ofSeconds(30));
    await(() -> !k.renewFailed.isEmpty(), "a failed renewal");
    Thread.sleep(2500);
    callsWorkAgain();
    await(() -> !k.renewed.isEmpty(), "renewed again once the store answers");
  }

  @Test
  void aWatchThatCannotBeOpenedIsRetriedWithGrowingBackOff() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    LeaseRecorder rec = new LeaseRecorder();
    toClose.add(sm.watchLeases(rec));
    store.failWith(new StoreUnavailableException("injected: the watch stream cannot be opened"), Set.of("watch"));
    store.endWatches(new StoreException("injected: the watch was cancelled"));
    Thread.sleep(3000);
    int attempts = store.failedCalls();
    assertTrue(attempts <= 8, "watch attempts in 3 s: " + attempts);
  }

  @Test
  void aKeeperWhoseWatchTheStoreKeepsEndingGivesUpWithTheReason() throws Exception {
    java.util.concurrent.atomic.AtomicInteger watches = new java.util.concurrent.atomic.AtomicInteger();
    Store refusing = new Store() {
      @Override
      public Optional<io.overlaynet.store.KeyValue> get(String k) {
        return store.get(k);
      }

      @Override
      public io.overlaynet.store.Listing list(String p) {
        return store.list(p);
      }

      @Override
      public Optional<Long> create(String k, String v, Duration t) {
        return store.create(k, v, t);
      }

      @Override
      public long put(String k, String v, Duration t) {
        return store.put(k, v, t);
      }

      @Override
      public boolean delete(String k) {
        return store.delete(k);
      }

      @Override
      public void close() {}

      @Override
      public Watch watch(String p, long rev, WatchListener l) {
        watches.incrementAndGet();
        Watch w = store.watch(p, rev, l);
        Thread t = new Thread(() -> {
          w.close();
          l.onError(new StoreException("injected: etcdserver: the watch was refused"));
        });
        t.setDaemon(true);
        t.start();
        return w;
      }
    };
    SubnetManager sm = manager(refusing, SubnetManagerOptions.DEFAULT);
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(sm.acquireLease(node(11)), k));
    await(() -> !k.failed.isEmpty(), "onFailed");
    assertTrue(watches.get() <= 8, "watch attempts: " + watches.get());
  }

  @Test
  void anAgedLeaseWithLessThanTheFloorLeftIsRenewedBeforeItExpires() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(20))
        .withRenewMargin(Duration.ofMillis(500)));
    Lease aged = sm.acquireLease(node(11)).withExpiration(Instant.now().plusMillis(1500));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(aged, k));
    Thread.sleep(1400);
    assertFalse(k.renewed.isEmpty(), "not renewed before its expiry");
  }

  @Test
  void aStaleForeignPutDoesNotMakeTheKeeperGiveUpALeaseItHolds() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    Lease lease = sm.acquireLease(node(11));
    KeeperRecorder k = new KeeperRecorder();
    toClose.add(sm.keepLease(lease, k));
    await(() -> store.liveWatches() == 1, "the keeper watching its key");
    store.cutOff();
    store.inner().delete(SUBNETS + lease.key());
    store.inner().create(SUBNETS + lease.key(), LeaseCodec.toJson(node(12)), Duration.ofHours(24));
    store.inner().delete(SUBNETS + lease.key());
    store.reconnect();
    await(() -> valueOf(lease).isPresent(), "re-created");
    Thread.sleep(500);
    assertEquals(LeaseCodec.toJson(node(11)), valueOf(lease).orElseThrow());
    assertEquals(List.of(), k.lost, "onLost although the store holds this node's lease");
  }

  @Test
  void aLeaseListenerThatThrowsDoesNotEndTheWatch() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT);
    LeaseRecorder rec = new LeaseRecorder();
    java.util.concurrent.atomic.AtomicInteger snapshots = new java.util.concurrent.atomic.AtomicInteger();
    toClose.add(sm.watchLeases(new LeaseListener() {
      @Override
      public void onSnapshot(List<Lease> l) {
        rec.onSnapshot(l);
        if (snapshots.incrementAndGet() == 2) {
          throw new IllegalStateException("injected: a bug in a metrics callback");
        }
      }

      @Override
      public void onEvents(List<LeaseEvent> e) {
        rec.onEvents(e);
        throw new IllegalStateException("injected: a bug in a metrics callback");
      }
    }));
    store.endWatches(new StoreException("injected: the watch was cancelled"));
    rec.awaitSnapshots(2);
    store.inner().put(SUBNETS + "10.5.2.0-24", LeaseCodec.toJson(node(2)), Store.NO_TTL);
    store.inner().put(SUBNETS + "10.5.3.0-24", LeaseCodec.toJson(node(3)), Store.NO_TTL);
    rec.awaitCondition(() -> rec.viewSubnets().containsAll(Set.of("10.5.2.0/24", "10.5.3.0/24")),
        () -> "the watch ended with the listener's exception: " + rec.viewSubnets());
  }

  @Test
  void aKeeperListenerThatThrowsDoesNotStopRenewals() throws Exception {
    SubnetManager sm = manager(SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(3))
        .withRenewMargin(Duration.ofMillis(2500)));
    java.util.concurrent.atomic.AtomicInteger renewed = new java.util.concurrent.atomic.AtomicInteger();
    toClose.add(sm.keepLease(sm.acquireLease(node(11)), new LeaseKeeperListener() {
      @Override
      public void onRenewed(Lease l) {
        renewed.incrementAndGet();
        throw new IllegalStateException("injected: a bug in a metrics callback");
      }
    }));
    await(() -> renewed.get() >= 3, "renewals after the listener threw");
  }
}
