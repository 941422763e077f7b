package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.ClusterFixture;

import static io.overlaynet.netlink.testing.ClusterFixture.PREFIX;
import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.Lease;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.etcd.testing.EtcdExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vxlan cluster against a real etcd (the same keys and values flanneld uses): every container
 * reaches every other, flannel's objects are in place, a deleted lease is unprogrammed everywhere
 * and a restarted agent keeps its subnet.
 */
@Tag("privileged")
class VxlanEtcdClusterIT {

  @RegisterExtension
  static final EtcdExtension ETCD = new EtcdExtension();

  @BeforeEach
  void prerequisites() {
    VxlanClusterIT.requirePrerequisites();
  }

  @Test
  void clusterOverEtcd(@TempDir Path dir) throws Exception {
    // etcd listens on loopback in the root namespace. The store is created on this (root namespace)
    // thread, so its connections live there although the agents call it from threads in the hosts'
    // namespaces (the store opens every connection on a thread it started at creation).
    try (EtcdStore store = EtcdStore.connect(ETCD.options())) {
      store.put(PREFIX + "/config", VxlanClusterIT.CONFIG, io.overlaynet.store.Store.NO_TTL);
      try (ClusterFixture f = ClusterFixture.start(3, VxlanClusterIT.CONFIG, store,
          () -> VxlanBackend.create(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofSeconds(1))), dir)) {
        f.assertAllReach();
        for (int i = 1; i <= 3; i++) {
          VxlanClusterIT.assertFlannelObjects(f, i);
        }
        Lease gone = f.leases[3];
        f.stopAgent(3); // h3 goes away and its lease expires
        store.delete(PREFIX + "/subnets/" + gone.key());
        for (int i = 1; i <= 2; i++) {
          int host = i;
          await("h3's objects gone on h" + host, Duration.ofSeconds(10), () -> VxlanClusterIT.noTraceOf(f, host, gone));
        }
        Lease before = f.leases[1];
        f.stopAgent(1);
        Lease after = f.startAgent(1);
        assertEquals(before.subnet(), after.subnet());
        f.assertReaches(1, 2);
        f.assertReaches(2, 1);
      }
    }
  }
}
