package io.overlaynet.hostgw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Route;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  private static Route route(String dst, String gw, int dev) {
    return Route.builder(IpNet.parse(dst)).withGateway(Ip4.parse(gw)).withLinkIndex(dev).build();
  }

  private static final Route WANT = route("10.5.90.0/24", "192.0.2.12", 2);

  @Test
  void sameComparesDestinationGatewayAndDevice() {
    assertTrue(RouteTable.same(WANT, route("10.5.90.0/24", "192.0.2.12", 2).toBuilder().withPriority(0).build()));
    assertFalse(RouteTable.same(WANT, route("10.5.90.0/24", "192.0.2.13", 2)));
    assertFalse(RouteTable.same(WANT, route("10.5.90.0/24", "192.0.2.12", 3)));
    assertFalse(RouteTable.same(WANT, route("10.5.91.0/24", "192.0.2.12", 2)));
  }

  @Test
  void missingFindsRoutesDeletedByHand() {
    Route other = route("10.5.91.0/24", "192.0.2.13", 2);
    assertEquals(List.of(), RouteTable.missing(List.of(WANT, other), List.of(WANT, other)));
    assertEquals(List.of(other), RouteTable.missing(List.of(WANT, other), List.of(WANT)));
    assertEquals(List.of(WANT), RouteTable.missing(List.of(WANT), List.of(route("10.5.90.0/24", "192.0.2.99", 2))),
        "a different route to the same subnet does not count");
  }

  @Test
  void conflictingAreDifferingRoutesWithAMetric() {
    Route metric = route("10.5.90.0/24", "192.0.2.99", 2).toBuilder().withPriority(100).build();
    Route plain = route("10.5.90.0/24", "192.0.2.99", 2);
    Route ours = WANT.toBuilder().withPriority(100).build();
    assertEquals(List.of(metric), RouteTable.conflicting(List.of(WANT), List.of(metric, plain)),
        "a metric-0 route is overwritten by replace; one with a metric must be deleted");
    assertEquals(List.of(), RouteTable.conflicting(List.of(WANT), List.of(ours)));
  }

  @Test
  void driftTellsMissingFromRoutedElsewhere() {
    Route otherGateway = route("10.5.90.0/24", "192.0.2.99", 2);
    Route otherDevice = route("10.5.90.0/24", "192.0.2.12", 3);
    assertEquals(Drift.OK, RouteTable.drift(WANT, RouteTable.byDestination(List.of(otherGateway, WANT))));
    assertEquals(Drift.WRONG, RouteTable.drift(WANT, RouteTable.byDestination(List.of(otherGateway))));
    assertEquals(Drift.WRONG, RouteTable.drift(WANT, RouteTable.byDestination(List.of(otherDevice))));
    assertEquals(Drift.MISSING, RouteTable.drift(WANT, RouteTable.byDestination(List.of(route("10.5.91.0/24",
        "192.0.2.12", 2)))));
  }
}
