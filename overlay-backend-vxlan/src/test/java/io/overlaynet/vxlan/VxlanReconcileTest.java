package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.testing.FakeNetlink;
import io.overlaynet.testing.StubSubnetManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A snapshot removes DirectRouting routes of leases gone while no agent ran, and nothing else on the underlay. */
class VxlanReconcileTest {

  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":true}}";
  static final ExternalInterface EXT = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11"));

  /** Registers on {@code nl} with a reconcile period of an hour: whatever happens, happens now. */
  static VxlanNetwork register(FakeNetlink nl, String config) throws Exception {
    StubSubnetManager sm = new StubSubnetManager(config, "10.5.96.0/24");
    return (VxlanNetwork) new VxlanBackend(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofHours(1)), () -> nl)
        .register(new BackendContext(sm, sm.config, EXT));
  }

  static Route via(String dst, String gw, int dev) {
    return Route.builder(IpNet.parse(dst)).withGateway(Ip4.parse(gw)).withLinkIndex(dev).build();
  }

  @Test
  void aSnapshotRemovesDirectRoutesOfLeasesThatAreGone() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    Route stale = via("10.5.85.0/24", "192.0.2.13", 2);     // a direct peer whose lease expired meanwhile
    Route outside = via("192.168.7.0/24", "192.0.2.1", 2);  // the operator's
    Route daemon = via("10.5.61.0/24", "192.0.2.1", 2).toBuilder().withProtocol(186).build();
    nl.routes.addAll(List.of(stale, outside, daemon));
    VxlanNetwork n = register(nl, CONFIG);
    try {
      Lease h2 = Lease.of(Ip4Net.parse("10.5.60.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.12"))
          .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"92:dc:75:59:97:4a\"}"));
      n.onSnapshot(List.of(h2));
      assertTrue(nl.routes.stream().noneMatch(r -> r.dst().equals(stale.dst())), "the stale route stays: " + nl.routes);
      assertTrue(nl.routes.contains(outside) && nl.routes.contains(daemon), "foreign routes went: " + nl.routes);
      assertTrue(nl.routes.stream().anyMatch(r -> r.dst().equals(h2.subnet())), "h2 is routed: " + nl.routes);
    } finally {
      n.close();
    }
  }

  @Test
  void aRouteDeletedFromOutsideIsRestoredAtOnceNotAtTheNextPeriod() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    VxlanNetwork n = register(nl, "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    try {
      Lease h2 = Lease.of(Ip4Net.parse("10.5.60.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.12"))
          .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"92:dc:75:59:97:4a\"}"));
      n.onSnapshot(List.of(h2));
      Route r = nl.routes.stream().filter(x -> x.dst().equals(h2.subnet())).findFirst().orElseThrow();
      nl.deleteRouteFromOutside(r);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (nl.routeList(Family.V4).stream().noneMatch(x -> x.dst().equals(h2.subnet()))) {
        assertTrue(System.nanoTime() < deadline, "the route was not restored within 10 s (the period is 1 h)");
        Thread.sleep(10);
      }
    } finally {
      n.close();
    }
  }
}
