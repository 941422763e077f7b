package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.LeaseEvent;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetManager;
import io.overlaynet.SubnetManagerOptions;
import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.ip.Ip4;
import io.overlaynet.testing.ConcurrentAcquire;
import io.overlaynet.testing.LeaseRecorder;
import io.overlaynet.ip.Ip4Net;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** flannel's lease model over a real etcd: races, compaction, foreign garbage, flanneld's own writes. */
class SubnetManagerEtcdIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  /** The transport under test; {@code SubnetManagerEtcdGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  static final String PREFIX = "/coreos.com/network";
  static final String SUBNETS = PREFIX + "/subnets/";

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private EtcdStore store;

  @BeforeEach
  void open() {
    store = EtcdStore.connect(options());
    // Written the way a flannel user does it, with etcdctl (v3 API).
    ETCD.server().etcdctl("put", PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    store.close();
    ETCD.server().etcdctl("del", "--prefix", "/coreos.com");
  }

  private SubnetManager manager(EtcdStore s) {
    SubnetManager sm = SubnetManager.overStore(s, SubnetManagerOptions.DEFAULT);
    toClose.add(sm);
    return sm;
  }

  private static String value(int host) {
    return LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2." + host)));
  }

  @Test
  void readsTheConfigEtcdctlWrote() {
    NetworkConfig c = manager(store).networkConfig();
    assertEquals(Ip4Net.parse("10.5.0.0/16"), c.network());
    assertEquals("vxlan", c.backend().type());
  }

  @Test
  void fiftyManagersAcquiringAtOnceGetFiftyDistinctSubnets() throws Exception {
    int n = 50;
    List<SubnetManager> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // One client per node, as 50 hosts would have.
      EtcdStore own = EtcdStore.connect(options());
      toClose.add(own);
      nodes.add(manager(own));
    }
    ConcurrentAcquire.Result r = ConcurrentAcquire.run(nodes, 120_000);
    assertEquals(List.of(), r.errors(), "no acquirer may fail while free subnets remain");
    assertEquals(n, r.subnets().size());
    assertEquals(n, Set.copyOf(r.subnets()).size(), "duplicate subnets: " + r.subnets());
    assertEquals(n, store.list(SUBNETS).entries().size());
  }

  @Test
  void compactionDuringTheWatchLeadsToARelistAndAFreshSnapshot() throws Exception {
    store.put(SUBNETS + "10.5.1.0-24", value(1), java.time.Duration.ofHours(24));
    store.put(SUBNETS + "10.5.2.0-24", value(2), java.time.Duration.ofHours(24));
    store.put(SUBNETS + "10.5.3.0-24", value(3), java.time.Duration.ofHours(24));
    LeaseRecorder rec = new LeaseRecorder();
    toClose.add(manager(store).watchLeases(rec));
    assertEquals(3, rec.snapshot.size());
    ((HasWatches) store).watches().suspendWatchesForTest();
    try (EtcdStore other = EtcdStore.connect(options())) {
      other.delete(SUBNETS + "10.5.1.0-24");
      other.put(SUBNETS + "10.5.2.0-24", value(22), java.time.Duration.ofHours(24));
      other.put(SUBNETS + "10.5.4.0-24", value(4), java.time.Duration.ofHours(24));
      long last = other.put(SUBNETS + "10.5.5.0-24", value(5), java.time.Duration.ofHours(24));
      other.delete(SUBNETS + "10.5.5.0-24");
      ETCD.server().compact(last);
    }
    ((HasWatches) store).watches().resumeWatchesForTest();
    // The history is gone: the manager re-lists and hands over the whole network again.
    rec.awaitSnapshots(2);
    assertEquals(Set.of("10.5.2.0/24", "10.5.3.0/24", "10.5.4.0/24"), rec.viewSubnets());
    assertEquals(value(22), LeaseCodec.toJson(rec.view().get(Ip4Net.parse("10.5.2.0/24")).attrs()),
        "the changed lease carries its new attributes");
    assertEquals(List.of(), rec.events, "nothing from the compacted history arrives as events");
    // The watch goes on after the re-list.
    ETCD.server().etcdctl("put", SUBNETS + "10.5.6.0-24", value(6));
    rec.await(1);
    assertEquals("10.5.6.0/24", rec.events.get(0).lease().subnet().toString());
  }

  @Test
  void garbageUnderSubnetsIsSkippedAndOtherLeasesAreUntouched() throws Exception {
    ETCD.server().etcdctl("put", SUBNETS + "10.5.7.0-24", "{not json");
    ETCD.server().etcdctl("put", SUBNETS + "garbage-key", value(9));
    ETCD.server().etcdctl("put", SUBNETS + "10.5.8.0-24", value(8));
    LeaseRecorder rec = new LeaseRecorder();
    toClose.add(manager(store).watchLeases(rec));
    assertEquals(List.of("10.5.8.0/24"), rec.snapshot.stream().map(l -> l.subnet().toString()).toList());
    ETCD.server().etcdctl("put", SUBNETS + "10.5.8.0-24", "\u0001garbage");
    ETCD.server().etcdctl("put", SUBNETS + "10.5.10.0-24", value(10));
    rec.await(1);
    Thread.sleep(300);
    assertEquals(List.of("10.5.10.0/24"), rec.events.stream().map(e -> e.lease().subnet().toString()).toList(),
        "a garbage update must neither remove nor replace the lease it overwrote");
    Lease mine = manager(store).acquireLease(LeaseAttrs.of(Ip4.parse("192.0.2.11")));
    assertTrue(!Set.of("10.5.7.0/24", "10.5.8.0/24", "10.5.10.0/24").contains(mine.subnet().toString()));
  }

  @Test
  void aLeaseFlanneldWroteIsReusedByPublicIpAndRenewedOnAFreshEtcdLease() throws Exception {
    String flanneld = "{\"PublicIP\":\"192.0.2.12\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"92:dc:75:59:97:4a\"}}";
    String leaseId = ETCD.server().etcdctl("lease", "grant", "86400").split("\\s+")[1];
    ETCD.server().etcdctl("put", "--lease=" + leaseId, SUBNETS + "10.5.60.0-24", flanneld);
    LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.0.2.12"))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"92:dc:75:59:97:4a\"}");
    Lease lease = manager(store).acquireLease(attrs);
    assertEquals(Ip4Net.parse("10.5.60.0/24"), lease.subnet());
    assertEquals(flanneld, ETCD.server().etcdctl("get", "--print-value-only", SUBNETS + "10.5.60.0-24").trim());
  }
}
