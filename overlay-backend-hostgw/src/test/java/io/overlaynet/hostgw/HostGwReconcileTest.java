package io.overlaynet.hostgw;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** A snapshot reconciles the kernel: routes of leases gone while no agent ran are removed, nothing else. */
class HostGwReconcileTest {

  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}";
  static final ExternalInterface EXT = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11"));

  /** Registers on {@code nl} with a route check period of an hour: whatever happens, happens now. */
  static HostGwNetwork register(FakeNetlink nl) throws Exception {
    StubSubnetManager sm = new StubSubnetManager(CONFIG, "10.5.83.0/24");
    return (HostGwNetwork) new HostGwBackend(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofHours(1)), () -> nl)
        .register(new BackendContext(sm, sm.config, EXT));
  }

  static Route via(String dst, String gw, int dev) {
    return Route.builder(IpNet.parse(dst)).withGateway(Ip4.parse(gw)).withLinkIndex(dev).build();
  }

  @Test
  void aSnapshotRemovesTheRoutesOfLeasesThatAreGoneAndNothingElse() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    Route stale = via("10.5.85.0/24", "192.0.2.13", 2);               // h3's lease expired while we were down
    Route otherType = via("10.5.70.0/24", "192.0.2.14", 2);            // a vxlan node's lease is in the store
    Route outside = via("192.168.7.0/24", "192.0.2.1", 2);             // the operator's
    Route aggregate = via("10.5.128.0/17", "192.0.2.1", 2);            // a second site behind a router
    Route host = via("10.5.90.7/32", "192.0.2.1", 2);                  // a host route inside h2's subnet
    Route ownOld = via("10.5.83.0/24", "192.0.2.15", 2);               // our subnet's former holder
    Route daemon = via("10.5.60.0/24", "192.0.2.1", 2).toBuilder().withProtocol(186).build();
    Route table = via("10.5.61.0/24", "192.0.2.1", 2).toBuilder().withTable(100).build();
    nl.routes.addAll(List.of(stale, otherType, outside, aggregate, host, ownOld, daemon, table));
    HostGwNetwork n = register(nl);
    try {
      Lease h2 = Lease.of(Ip4Net.parse("10.5.90.0/24"),
          LeaseAttrs.of(Ip4.parse("192.0.2.12")).withBackend("host-gw", null));
      Lease vxlan = Lease.of(Ip4Net.parse("10.5.70.0/24"),
          LeaseAttrs.of(Ip4.parse("192.0.2.14")).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:14\"}"));
      n.onSnapshot(List.of(h2, vxlan));
      List<Route> left = nl.routes;
      assertTrue(left.stream().noneMatch(r -> r.dst().equals(stale.dst())), "the stale route stays: " + left);
      assertTrue(left.stream().noneMatch(r -> r.dst().equals(ownOld.dst())), "the former holder's route stays");
      for (Route kept : List.of(otherType, outside, aggregate, host, daemon, table)) {
        assertTrue(left.contains(kept), "a route that is not the backend's to remove went: " + kept);
      }
      assertEquals(1, left.stream().filter(r -> r.dst().equals(h2.subnet())).count(), "h2 is routed");
    } finally {
      n.close();
    }
  }

  @Test
  void aRouteDeletedFromOutsideIsRestoredAtOnceNotAtTheNextPeriod() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    HostGwNetwork n = register(nl);
    try {
      Lease h2 = Lease.of(Ip4Net.parse("10.5.90.0/24"),
          LeaseAttrs.of(Ip4.parse("192.0.2.12")).withBackend("host-gw", null));
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
