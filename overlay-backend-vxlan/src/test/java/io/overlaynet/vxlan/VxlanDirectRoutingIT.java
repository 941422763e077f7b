package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.ClusterFixture;

import static io.overlaynet.netlink.testing.ClusterFixture.PREFIX;
import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.overlaynet.Lease;
import io.overlaynet.store.InMemoryStore;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vxlan with {@code DirectRouting}: hosts on one L2 segment get plain routes via each other's
 * public IP (no ARP/FDB entries), and traffic still flows between every container.
 */
@Tag("privileged")
class VxlanDirectRoutingIT {

  static final String CONFIG =
      "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":true}}";

  @BeforeEach
  void prerequisites() {
    VxlanClusterIT.requirePrerequisites();
  }

  @Test
  void directRoutesBetweenHostsOnOneSegment(@TempDir Path dir) throws Exception {
    try (InMemoryStore store = InMemoryStore.create();
         ClusterFixture f = ClusterFixture.start(3, CONFIG, store, VxlanBackend::create, dir)) {
      f.assertAllReach();
      for (int i = 1; i <= 3; i++) {
        for (int j = 1; j <= 3; j++) {
          if (i == j) {
            continue;
          }
          Lease p = f.leases[j];
          JsonObject r = f.route(i, p.subnet().toString());
          assertTrue(r != null, "route to " + p.subnet() + " on h" + i);
          // 10.5.x.0/24 via 192.0.2.1j dev eth0 (no onlink): the underlay, no encapsulation
          assertEquals(p.attrs().publicIp().toString(), r.get("gateway").getAsString());
          assertEquals("eth0", r.get("dev").getAsString());
          assertEquals("[]", r.getAsJsonArray("flags").toString());
        }
        assertEquals(0, f.json(i, "ip", "-j", "neigh", "show", "dev", "flannel.1").size());
        assertEquals(0, f.json(i, "bridge", "-j", "fdb", "show", "dev", "flannel.1").size());
        // The device exists all the same, for peers that are not directly reachable.
        assertEquals(1450, f.json(i, "ip", "-j", "link", "show", "flannel.1").get(0).getAsJsonObject()
            .get("mtu").getAsInt());
      }
      Lease gone = f.leases[3];
      f.stopAgent(3); // h3 goes away and its lease expires
      store.delete(PREFIX + "/subnets/" + gone.key());
      for (int i = 1; i <= 2; i++) {
        int host = i;
        await("direct route to h3 gone on h" + host, Duration.ofSeconds(5),
            () -> f.route(host, gone.subnet().toString()) == null);
      }
      f.assertReaches(1, 2);
    }
  }
}
