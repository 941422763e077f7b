package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.BackendContext;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.testing.FakeNetlink;
import io.overlaynet.testing.StubSubnetManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 15: the vxlan data-plane view (drift per peer, stale entries) and the repairs it reports. */
class VxlanStatusTest {

  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";

  final Map<RepairKind, Integer> repaired = new ConcurrentHashMap<>();
  final AtomicInteger reconciled = new AtomicInteger();
  final ReconcileListener counting = new ReconcileListener() {
    @Override
    public void onRepaired(RepairKind kind, int count) {
      repaired.merge(kind, count, Integer::sum);
    }

    @Override
    public void onReconciled() {
      reconciled.incrementAndGet();
    }
  };

  @AfterEach
  void resume() {
    RepairSeam.resume();
  }

  VxlanNetwork register(FakeNetlink nl) throws Exception {
    StubSubnetManager sm = new StubSubnetManager(CONFIG, "10.5.96.0/24");
    return (VxlanNetwork) new VxlanBackend(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofHours(1)), () -> nl)
        .register(new BackendContext(sm, sm.config, VxlanReconcileTest.EXT, counting));
  }

  static Lease peer(int third, int host, String mac) {
    return Lease.of(Ip4Net.parse("10.5." + third + ".0/24"), LeaseAttrs.of(Ip4.parse("192.0.2." + host))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"));
  }

  static PeerStatus of(DataPlaneView v, String subnet) {
    return v.peers().stream().filter(p -> p.lease().subnet().toString().equals(subnet)).findFirst().orElseThrow();
  }

  static Drift drift(PeerStatus p, String kind) {
    return p.entries().stream().filter(e -> e.kind().equals(kind)).findFirst().orElseThrow().drift();
  }

  @Test
  void aRouteDeletedWhileRepairIsPausedShowsAsMissingThenIsRestoredAndCounted() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    VxlanNetwork n = register(nl);
    try {
      n.onSnapshot(List.of(peer(60, 12, "92:dc:75:59:97:4a"), peer(61, 13, "92:dc:75:59:97:4b")));
      DataPlaneView v = n.dataPlane();
      assertTrue(v.inSync(), v.toString());
      PeerStatus h2 = of(v, "10.5.60.0/24");
      assertEquals(List.of("route", "neighbor", "fdb"), h2.entries().stream().map(DataPlaneEntry::kind).toList());
      assertEquals("10.5.60.0/24 via 10.5.60.0 dev flannel.1 onlink", h2.entries().get(0).description());
      assertEquals("92:dc:75:59:97:4a dev flannel.1 dst 192.0.2.12 self permanent", h2.entries().get(2).description());

      RepairSeam.pause();
      Route r = nl.routes.stream().filter(x -> x.dst().equals(IpNet.parse("10.5.60.0/24"))).findFirst().orElseThrow();
      nl.deleteRouteFromOutside(r);
      Thread.sleep(200); // the route watch wakes the maintainer, which must not repair while paused
      v = n.dataPlane();
      assertEquals(Drift.MISSING, drift(of(v, "10.5.60.0/24"), "route"));
      assertEquals(Drift.OK, drift(of(v, "10.5.60.0/24"), "neighbor"));
      assertTrue(of(v, "10.5.61.0/24").inSync(), "the other peer is untouched");
      assertEquals(Map.of(), repaired);

      RepairSeam.resume();
      nl.deleteRouteFromOutside(nl.routes.stream().filter(x -> x.dst().equals(IpNet.parse("10.5.61.0/24")))
          .findFirst().orElseThrow());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!n.dataPlane().inSync() || reconciled.get() == 0) {
        assertTrue(System.nanoTime() < deadline, "not repaired within 10 s: " + n.dataPlane());
        Thread.sleep(10);
      }
      assertEquals(2, repaired.get(RepairKind.ROUTE_RESTORED), "both routes, counted once each: " + repaired);
      assertEquals(null, repaired.get(RepairKind.NEIGHBOR_RESTORED));
    } finally {
      n.close();
    }
  }

  @Test
  void wrongAndStaleEntriesAreMarked() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    VxlanNetwork n = register(nl);
    try {
      RepairSeam.pause();
      n.onSnapshot(List.of(peer(60, 12, "92:dc:75:59:97:4a")));
      int dev = n.deviceIndex();
      // Someone rewrote the peer's route through another gateway, and left one of a lease that is gone.
      Route mine = nl.routes.stream().filter(x -> x.dst().equals(IpNet.parse("10.5.60.0/24"))).findFirst().orElseThrow();
      nl.routes.remove(mine);
      nl.routes.add(mine.toBuilder().withGateway(Ip4.parse("10.5.60.9")).build());
      nl.routes.add(Route.builder(IpNet.parse("10.5.77.0/24")).withGateway(Ip4.parse("10.5.77.0")).withLinkIndex(dev)
          .withOnlink(true).build());
      DataPlaneView v = n.dataPlane();
      assertEquals(Drift.WRONG, drift(of(v, "10.5.60.0/24"), "route"));
      assertEquals(List.of(new DataPlaneEntry("route", "10.5.77.0/24 via 10.5.77.0 dev flannel.1 onlink", Drift.STALE)),
          v.stale());
    } finally {
      n.close();
    }
  }
}
