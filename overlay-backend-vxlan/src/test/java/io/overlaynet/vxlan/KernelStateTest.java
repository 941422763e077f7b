package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelStateTest {

  private static final int DEV = 7;
  private static final Peer A = new Peer(Ip4Net.parse("10.5.60.0/24"), Ip4.parse("192.0.2.12"),
      MacAddress.parse("92:dc:75:59:97:4a"), false);
  private static final Peer B = new Peer(Ip4Net.parse("10.5.61.0/24"), Ip4.parse("192.0.2.13"),
      MacAddress.parse("02:00:00:00:02:0d"), true);

  @Test
  void directWhenExactlyOneRouteWithoutGateway() {
    Route onLink = Route.builder(IpNet.parse("192.0.2.12/32")).withLinkIndex(2).build();
    Route viaGw = Route.builder(IpNet.parse("198.51.100.7/32")).withGateway(Ip4.parse("192.0.2.1")).withLinkIndex(2)
        .build();
    assertTrue(KernelState.isDirect(List.of(onLink)));
    assertFalse(KernelState.isDirect(List.of(viaGw)));
    assertFalse(KernelState.isDirect(List.of()));
    assertFalse(KernelState.isDirect(List.of(onLink, onLink)));
  }

  @Test
  void peerObjectsAreFlannels() {
    Route r = A.route(DEV);
    assertEquals(Ip4.parse("10.5.60.0"), r.gateway());
    assertEquals(DEV, r.linkIndex());
    assertTrue(r.isOnlink());
    assertEquals(io.overlaynet.netlink.Scope.UNIVERSE, r.scope());
    Route d = B.route(DEV);
    assertEquals(Ip4.parse("192.0.2.13"), d.gateway());
    assertEquals(0, d.linkIndex());
    assertFalse(d.isOnlink());
    assertEquals(Neighbor.PERMANENT, A.neighbor(DEV).state());
    assertEquals(Ip4.parse("10.5.60.0"), A.neighbor(DEV).ip());
    FdbEntry f = A.fdb(DEV);
    assertEquals(Ip4.parse("192.0.2.12"), f.dst());
    assertTrue(f.isSelf());
    assertTrue(f.isPermanent());
  }

  private static KernelState complete() {
    List<Route> routes = new ArrayList<>(List.of(A.route(DEV), B.route(DEV).toBuilder().withLinkIndex(2).build()));
    return new KernelState(DEV, routes, List.of(A.neighbor(DEV)), List.of(A.fdb(DEV)));
  }

  @Test
  void nothingToRepairWhenComplete() {
    assertEquals(List.of(), complete().needsRepair(List.of(A, B)));
  }

  @Test
  void missingOrWrongObjectsNeedRepair() {
    KernelState k = complete();
    assertEquals(List.of(A), new KernelState(DEV, k.routes().subList(1, 2), k.neighbors(), k.fdb())
        .needsRepair(List.of(A, B)), "route missing");
    assertEquals(List.of(A), new KernelState(DEV, k.routes(), List.of(), k.fdb()).needsRepair(List.of(A, B)),
        "ARP missing");
    assertEquals(List.of(A), new KernelState(DEV, k.routes(), k.neighbors(), List.of()).needsRepair(List.of(A, B)),
        "FDB missing");
    Neighbor wrongMac = Neighbor.permanent(DEV, A.vtepIp(), MacAddress.parse("02:00:00:00:00:01"));
    assertEquals(List.of(A), new KernelState(DEV, k.routes(), List.of(wrongMac), k.fdb()).needsRepair(List.of(A)));
    Route notOnlink = A.route(DEV).toBuilder().withOnlink(false).build();
    assertEquals(List.of(A), new KernelState(DEV, List.of(notOnlink), k.neighbors(), k.fdb()).needsRepair(List.of(A)));
    assertEquals(List.of(B), new KernelState(DEV, k.routes().subList(0, 1), k.neighbors(), k.fdb())
        .needsRepair(List.of(A, B)), "direct route missing");
  }

  @Test
  void aMetricRouteDoesNotHideOursMissing() {
    Route other = A.route(DEV).toBuilder().withPriority(100).withGateway(Ip4.parse("192.0.2.1")).withOnlink(false)
        .withLinkIndex(2).build();
    KernelState k = new KernelState(DEV, List.of(other), List.of(A.neighbor(DEV)), List.of(A.fdb(DEV)));
    assertEquals(List.of(A), k.needsRepair(List.of(A)));
  }

  @Test
  void staleObjectsAreThoseOfNoPeer() {
    Peer gone = new Peer(Ip4Net.parse("10.5.200.0/24"), Ip4.parse("192.0.2.99"), MacAddress.parse("02:00:00:00:00:99"),
        false);
    Route foreign = Route.builder(IpNet.parse("172.16.0.0/16")).withGateway(Ip4.parse("10.5.60.0"))
        .withLinkIndex(DEV).withOnlink(true).build();
    KernelState k = new KernelState(DEV, List.of(A.route(DEV), gone.route(DEV), foreign),
        List.of(A.neighbor(DEV), gone.neighbor(DEV)), List.of(A.fdb(DEV), gone.fdb(DEV)));
    Ip4Net network = Ip4Net.parse("10.5.0.0/16");
    assertEquals(List.of(gone.route(DEV)), k.staleRoutes(List.of(A), network), "only routes inside the network");
    assertEquals(List.of(gone.neighbor(DEV)), k.staleNeighbors(List.of(A)));
    assertEquals(List.of(gone.fdb(DEV)), k.staleFdb(List.of(A)));
  }
}
