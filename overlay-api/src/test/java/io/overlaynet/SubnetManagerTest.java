package io.overlaynet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.InMemoryStoreSeams;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.testing.ConcurrentAcquire;
import io.overlaynet.testing.LeaseRecorder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The flannel lease model over the in-memory store (reference §2.3–2.5, B6, B8). */
class SubnetManagerTest {

  static final String PREFIX = "/coreos.com/network";
  static final String SUBNETS = PREFIX + "/subnets/";
  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";

  final InMemoryStore store = InMemoryStore.create();
  final List<SubnetManager> managers = new ArrayList<>();

  @AfterEach
  void close() {
    managers.forEach(SubnetManager::close);
    store.close();
  }

  SubnetManager manager(SubnetManagerOptions options) {
    SubnetManager sm = SubnetManager.overStore(store, options);
    managers.add(sm);
    return sm;
  }

  SubnetManager manager() {
    return manager(SubnetManagerOptions.DEFAULT);
  }

  void config(String json) {
    store.put(PREFIX + "/config", json, Store.NO_TTL);
  }

  static LeaseAttrs node(int n) {
    return LeaseAttrs.of(Ip4.parse("192.0.2." + n));
  }

  static String json(int n) {
    return LeaseCodec.toJson(node(n));
  }

  @Test
  void lastEventPerSubnetKeepsTheLatestInArrivalOrder() {
    Lease a = Lease.of(Ip4Net.parse("10.5.1.0/24"), node(1));
    Lease b = Lease.of(Ip4Net.parse("10.5.2.0/24"), node(2));
    Lease a2 = Lease.of(Ip4Net.parse("10.5.1.0/24"), node(3));
    assertEquals(List.of(LeaseEvent.added(b), LeaseEvent.added(a2)), LeaseEvent.lastPerSubnet(
        List.of(LeaseEvent.added(a), LeaseEvent.added(b), LeaseEvent.removed(a), LeaseEvent.added(a2))));
  }

  @Test
  void eventsOfIpv6OnlyLeasesAreToldApartByTheirIpv6Subnet() {
    // IPv6-only leases all have the empty IPv4 subnet (key 0.0.0.0-24&fd00:5:0:N::-64).
    Lease a = new Lease(Ip4Net.EMPTY, Optional.of(Ip6Net.parse("fd00:5:0:1::/64")), node(1), Optional.empty());
    Lease b = new Lease(Ip4Net.EMPTY, Optional.of(Ip6Net.parse("fd00:5:0:2::/64")), node(2), Optional.empty());
    assertEquals(List.of(LeaseEvent.added(a), LeaseEvent.removed(b)),
        LeaseEvent.lastPerSubnet(List.of(LeaseEvent.added(a), LeaseEvent.added(b), LeaseEvent.removed(b))));
  }

  @Test
  void missingConfigSaysWhatToDo() {
    NetworkConfigException e = assertThrows(NetworkConfigNotFoundException.class, () -> manager().networkConfig());
    assertTrue(e.getMessage().startsWith("flannel config not found in etcd store. Did you create your config using"
        + " etcdv3 API?"), e.getMessage());
    assertTrue(e.getMessage().contains("/coreos.com/network/config"));
  }

  @Test
  void acquiresACompatibleSubnetAndWritesFlannelsValueWithTtl() {
    config(CONFIG);
    Instant before = Instant.now();
    Lease lease = manager().acquireLease(node(11));
    NetworkConfig c = manager().networkConfig();
    assertTrue(c.isCompatible(lease.subnet()), lease.subnet().toString());
    assertEquals(json(11), store.get(SUBNETS + lease.key()).orElseThrow().value());
    Instant exp = lease.expiration().orElseThrow();
    assertTrue(!exp.isBefore(before.plus(Duration.ofHours(24))) && exp.isBefore(Instant.now().plus(Duration.ofHours(25))));
  }

  @Test
  void reacquiringWithTheSamePublicIpReusesTheLease() {
    config(CONFIG);
    Lease first = manager().acquireLease(node(11));
    LeaseAttrs newer = node(11).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:0b\"}");
    Lease again = manager().acquireLease(newer);
    assertEquals(first.subnet(), again.subnet());
    assertEquals(LeaseCodec.toJson(newer), store.get(SUBNETS + again.key()).orElseThrow().value());
    assertEquals(1, store.list(SUBNETS).entries().size());
  }

  @Test
  void anIncompatibleOwnLeaseIsReplaced() {
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":25}");
    store.put(SUBNETS + "10.5.9.0-24", json(11), Store.NO_TTL);
    Lease lease = manager().acquireLease(node(11));
    assertEquals(25, lease.subnet().prefixLength());
    assertTrue(store.get(SUBNETS + "10.5.9.0-24").isEmpty(), "the incompatible lease must be deleted");
  }

  @Test
  void previousSubnetIsReusedWhenFree() {
    config(CONFIG);
    Ip4Net prev = Ip4Net.parse("10.5.60.0/24");
    Lease lease = manager(SubnetManagerOptions.DEFAULT.withPreviousSubnet(prev)).acquireLease(node(12));
    assertEquals(prev, lease.subnet());
  }

  @Test
  void previousSubnetHeldByAnotherNodeIsNotReused() {
    config(CONFIG);
    store.put(SUBNETS + "10.5.60.0-24", json(13), Store.NO_TTL);
    Ip4Net prev = Ip4Net.parse("10.5.60.0/24");
    Lease lease = manager(SubnetManagerOptions.DEFAULT.withPreviousSubnet(prev)).acquireLease(node(12));
    assertNotEquals(prev, lease.subnet());
    assertEquals(json(13), store.get(SUBNETS + "10.5.60.0-24").orElseThrow().value(), "the holder keeps its lease");
  }

  @Test
  void previousSubnetOutsideTheConfigIsIgnored() {
    config(CONFIG);
    Ip4Net prev = Ip4Net.parse("10.9.60.0/24");
    Lease lease = manager(SubnetManagerOptions.DEFAULT.withPreviousSubnet(prev)).acquireLease(node(12));
    assertTrue(manager().networkConfig().isCompatible(lease.subnet()));
  }

  @Test
  void ownLeaseByPublicIpWinsOverThePreviousSubnet() {
    config(CONFIG);
    store.put(SUBNETS + "10.5.67.0-24", json(12), Store.NO_TTL);
    SubnetManagerOptions opts = SubnetManagerOptions.DEFAULT.withPreviousSubnet(Ip4Net.parse("10.5.60.0/24"));
    assertEquals(Ip4Net.parse("10.5.67.0/24"), manager(opts).acquireLease(node(12)).subnet());
  }

  @Test
  void exhaustionNamesTheRange() {
    config("{\"Network\":\"10.5.0.0/24\",\"SubnetLen\":26}");
    SubnetManager sm = manager();
    Set<Ip4Net> got = Set.of(sm.acquireLease(node(1)).subnet(), sm.acquireLease(node(2)).subnet(),
        sm.acquireLease(node(3)).subnet());
    assertEquals(3, got.size());
    LeaseException e = assertThrows(LeaseException.class, () -> sm.acquireLease(node(4)));
    assertEquals("out of subnets: every /26 in 10.5.0.64 ... 10.5.0.192 of 10.5.0.0/24 is leased", e.getMessage());
  }

  @Test
  void malformedLeasesAreSkippedAndDoNotBlockAllocation() {
    config("{\"Network\":\"10.5.0.0/24\",\"SubnetLen\":26}");
    store.put(SUBNETS + "10.5.0.64-26", "garbage{", Store.NO_TTL);
    store.put(SUBNETS + "not-a-key", json(9), Store.NO_TTL);
    store.put(SUBNETS + "10.5.0.128-26", json(8), Store.NO_TTL);
    Lease lease = manager().acquireLease(node(11));
    // The garbage entry's key still exists, so create-if-absent on it fails; the manager must
    // then move on to the one truly free subnet rather than give up.
    assertEquals(Ip4Net.parse("10.5.0.192/26"), lease.subnet());
  }

  @Test
  void dualStackLeaseUsesBothKeyParts() {
    config("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}");
    Lease lease = manager().acquireLease(node(11));
    Ip6Net v6 = lease.ipv6Subnet().orElseThrow();
    assertEquals(64, v6.prefixLength());
    assertTrue(store.get(SUBNETS + lease.subnet().address() + "-24&" + v6.address() + "-64").isPresent());
  }

  /** B12: flanneld compares only PublicIP (0.0.0.0 here), so the second node took the first one's lease. */
  @Test
  void ipv6OnlyNodesReFindTheirOwnLeaseByPublicIpv6() {
    config("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
    LeaseAttrs a = LeaseAttrs.of(Ip4.ANY).withPublicIpv6(Ip6.parse("2001:db8::11"));
    LeaseAttrs b = LeaseAttrs.of(Ip4.ANY).withPublicIpv6(Ip6.parse("2001:db8::12"));
    Lease first = manager().acquireLease(a);
    Lease second = manager().acquireLease(b);
    assertNotEquals(first.ipv6Subnet(), second.ipv6Subnet(), "two IPv6-only nodes share a subnet");
    assertTrue(store.get(SUBNETS + "0.0.0.0-24&" + first.ipv6Subnet().orElseThrow().address() + "-64").isPresent(), store.list(SUBNETS).entries().toString());
    assertEquals(first.ipv6Subnet(), manager().acquireLease(a).ipv6Subnet(), "a restarted node re-finds its lease");
    assertEquals(second.ipv6Subnet(), manager().acquireLease(b).ipv6Subnet());
    assertEquals(2, store.list(SUBNETS).entries().size());
  }

  /** Issue 14: an IPv6-only node whose lease went while it was down takes FLANNEL_IPV6_SUBNET again. */
  @Test
  void ipv6OnlyReusesThePreviousIpv6SubnetOfItsSubnetFile() {
    config("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
    Ip6Net previous = Ip6Net.parse("fd00:5:0:7b::/64");
    LeaseAttrs a = LeaseAttrs.of(Ip4.ANY).withPublicIpv6(Ip6.parse("2001:db8::11"));
    Lease lease = manager(SubnetManagerOptions.DEFAULT.withPreviousIpv6Subnet(previous)).acquireLease(a);
    assertEquals(Optional.of(previous), lease.ipv6Subnet());
    // held by someone else by now: a fresh subnet instead
    store.delete(SUBNETS + lease.key());
    store.put(SUBNETS + "0.0.0.0-24&fd00:5:0:7b::-64", LeaseCodec.toJson(LeaseAttrs.of(Ip4.ANY)
        .withPublicIpv6(Ip6.parse("2001:db8::99"))), Store.NO_TTL);
    Lease other = manager(SubnetManagerOptions.DEFAULT.withPreviousIpv6Subnet(previous)).acquireLease(a);
    assertNotEquals(Optional.of(previous), other.ipv6Subnet());
  }

  /** Review finding: a node whose families changed frees its old lease instead of keeping two. */
  @Test
  void aNodeGoingFromIpv6OnlyToDualStackFreesItsOldLease() {
    config("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");
    Lease old = manager().acquireLease(LeaseAttrs.of(Ip4.ANY).withPublicIpv6(Ip6.parse("2001:db8::11")));
    config("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");
    Lease dual = manager().acquireLease(node(11).withPublicIpv6(Ip6.parse("2001:db8::11")));
    assertTrue(store.get(SUBNETS + old.key()).isEmpty(), "the IPv6-only lease is gone: " + store.list(SUBNETS).entries());
    assertEquals(List.of(SUBNETS + dual.key()), store.list(SUBNETS).entries().stream().map(kv -> kv.key()).toList());
  }

  @Test
  void anIpv6OnlyLeaseLeftFromAnEarlierConfigDoesNotBlockIpv4Subnets() {
    store.put(SUBNETS + "0.0.0.0-24&fd00:5:0:7b::-64", LeaseCodec.toJson(LeaseAttrs.of(Ip4.ANY)
        .withPublicIpv6(Ip6.parse("2001:db8::99"))), Store.NO_TTL);
    config("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");
    Lease lease = manager().acquireLease(node(11));
    assertTrue(Ip4Net.parse("10.5.0.0/16").contains(lease.subnet()), lease.toString());
  }

  @Test
  void watchDeliversSnapshotThenEveryEventOfABatch() throws Exception {
    config(CONFIG);
    store.put(SUBNETS + "10.5.1.0-24", json(1), Store.NO_TTL);
    LeaseRecorder rec = new LeaseRecorder();
    try (SubnetManager.LeaseWatch w = manager().watchLeases(rec)) {
      assertEquals(List.of(Ip4Net.parse("10.5.1.0/24")), rec.snapshot.stream().map(Lease::subnet).toList());
      // Three leases in one store revision: flanneld v0.20.2 programmed only the first (B8).
      store.putAll(Map.of(SUBNETS + "10.5.221.0-24", json(21), SUBNETS + "10.5.222.0-24", json(22),
          SUBNETS + "10.5.223.0-24", json(23)), Store.NO_TTL);
      rec.await(3);
      assertEquals(Set.of("10.5.221.0/24", "10.5.222.0/24", "10.5.223.0/24"), rec.subnets(LeaseEvent.Type.ADDED));
      // Removed in one revision, as revoking one etcd lease does: all three must be reported.
      store.deleteAll(List.of(SUBNETS + "10.5.221.0-24", SUBNETS + "10.5.222.0-24", SUBNETS + "10.5.223.0-24"));
      rec.await(6);
      assertEquals(Set.of("10.5.221.0/24", "10.5.222.0/24", "10.5.223.0/24"), rec.subnets(LeaseEvent.Type.REMOVED));
      LeaseEvent removed = rec.events.stream()
          .filter(e -> e.type() == LeaseEvent.Type.REMOVED && e.lease().subnet().equals(Ip4Net.parse("10.5.221.0/24")))
          .findFirst().orElseThrow();
      assertEquals(node(21), removed.lease().attrs(), "a removal carries the last known attributes");
    }
  }

  @Test
  void malformedEventIsSkippedAndOthersInTheBatchStillArrive() throws Exception {
    config(CONFIG);
    LeaseRecorder rec = new LeaseRecorder();
    try (SubnetManager.LeaseWatch w = manager().watchLeases(rec)) {
      store.putAll(Map.of(SUBNETS + "10.5.7.0-24", "{bad", SUBNETS + "garbage-key", json(2),
          SUBNETS + "10.5.8.0-24", json(8)), Store.NO_TTL);
      rec.await(1);
      Thread.sleep(100);
      assertEquals(Set.of("10.5.8.0/24"), rec.subnets(LeaseEvent.Type.ADDED));
      assertEquals(1, rec.events.size());
    }
  }

  @Test
  void compactionLeadsToARelistAndAFreshSnapshot() throws Exception {
    config(CONFIG);
    store.put(SUBNETS + "10.5.1.0-24", json(1), Store.NO_TTL);
    store.put(SUBNETS + "10.5.2.0-24", json(2), Store.NO_TTL);
    store.put(SUBNETS + "10.5.3.0-24", json(3), Store.NO_TTL);
    LeaseRecorder rec = new LeaseRecorder();
    try (SubnetManager.LeaseWatch w = manager().watchLeases(rec)) {
      InMemoryStoreSeams.pauseWatches(store);
      store.delete(SUBNETS + "10.5.1.0-24");                       // removed while we were away
      store.put(SUBNETS + "10.5.2.0-24", json(22), Store.NO_TTL);  // changed
      store.put(SUBNETS + "10.5.4.0-24", json(4), Store.NO_TTL);   // added
      store.put(SUBNETS + "10.5.5.0-24", json(5), Store.NO_TTL);
      store.delete(SUBNETS + "10.5.5.0-24");                       // came and went: no event
      store.compact(store.revision());
      InMemoryStoreSeams.resumeWatches(store);
      // The history is gone: the manager re-lists and hands over the whole network again.
      rec.awaitSnapshots(2);
      assertEquals(Set.of("10.5.2.0/24", "10.5.3.0/24", "10.5.4.0/24"), rec.viewSubnets());
      assertEquals(node(22), rec.view().get(Ip4Net.parse("10.5.2.0/24")).attrs(), "the changed lease is the new one");
      assertEquals(List.of(), rec.events, "nothing from the compacted history arrives as events");
      // And the watch goes on from the re-listed revision.
      store.put(SUBNETS + "10.5.6.0-24", json(6), Store.NO_TTL);
      rec.await(1);
      assertEquals("10.5.6.0/24", rec.events.get(0).lease().subnet().toString());
    }
  }

  @Test
  void keeperRenewsBeforeExpiry() throws Exception {
    config(CONFIG);
    // A 4 s TTL renewed 3 s before expiry: a renewal about every second, so a renewal late by
    // 2 s on a loaded machine still keeps the key, while without renewals it expires after 4 s.
    SubnetManagerOptions opts = SubnetManagerOptions.DEFAULT.withLeaseTtl(Duration.ofSeconds(4))
        .withRenewMargin(Duration.ofMillis(3000));
    SubnetManager sm = manager(opts);
    Lease lease = sm.acquireLease(node(11));
    List<StoreEvent> deletions = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger renewals = new java.util.concurrent.atomic.AtomicInteger();
    Store.WatchListener expiryWatch = new Store.WatchListener() {
      @Override
      public void onEvents(List<StoreEvent> events) {
        events.stream().filter(e -> e.type() == StoreEvent.Type.DELETE).forEach(deletions::add);
      }

      @Override
      public void onCompacted(long compactRevision) {}
    };
    try (Store.Watch w = store.watch(SUBNETS + lease.key(), store.revision() + 1, expiryWatch);
         SubnetManager.LeaseWatch k = sm.keepLease(lease, new LeaseKeeperListener() {
           @Override
           public void onRenewed(Lease l) {
             renewals.incrementAndGet();
           }
         })) {
      // Eight renewals span two TTLs: the key must never have expired meanwhile.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (renewals.get() < 8) {
        assertTrue(System.nanoTime() < deadline, "only " + renewals.get() + " renewals in 30 s");
        Thread.sleep(50);
      }
      assertEquals(List.of(), deletions, "a kept lease must not expire");
      assertTrue(store.get(SUBNETS + lease.key()).isPresent());
    }
  }

  @Test
  void concurrentAcquirersOnOneStoreGetDistinctSubnets() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    List<SubnetManager> nodes = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      nodes.add(manager());
    }
    ConcurrentAcquire.Result r = ConcurrentAcquire.run(nodes, 30_000);
    assertEquals(List.of(), r.errors());
    assertEquals(64, r.subnets().size());
    assertEquals(64, Set.copyOf(r.subnets()).size(), "two nodes got the same subnet: " + r.subnets());
  }
}
