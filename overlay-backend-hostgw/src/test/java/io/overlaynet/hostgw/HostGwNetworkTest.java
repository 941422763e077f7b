package io.overlaynet.hostgw;

import io.overlaynet.netlink.testing.FakeNetlink;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.StubSubnetManager;
import io.overlaynet.testing.TestThreads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.BackendException;
import io.overlaynet.BackendContext;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.DataPlaneView;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseEvent;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.netlink.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostGwNetworkTest {

  private static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}";
  private static final ExternalInterface EXT = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11"));

  private final FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
  private final List<HostGwNetwork> opened = new ArrayList<>();
  private StubSubnetManager sm;

  @AfterEach
  void closeAll() {
    opened.forEach(HostGwNetwork::close);
  }

  private HostGwNetwork register(HostGwOptions options) throws Exception {
    sm = new StubSubnetManager(CONFIG, "10.5.83.0/24");
    HostGwNetwork n = (HostGwNetwork) new HostGwBackend(options, () -> nl)
        .register(new BackendContext(sm, sm.config, EXT, repairs));
    opened.add(n);
    return n;
  }

  /** What the network told its {@link ReconcileListener}, in order: "ROUTE_RESTORED 1", "ok", "failed: ...". */
  private final List<String> heard = new CopyOnWriteArrayList<>();
  private final ReconcileListener repairs = new ReconcileListener() {
    @Override
    public void onRepaired(RepairKind kind, int count) {
      heard.add(kind + " " + count);
    }

    @Override
    public void onReconciled() {
      heard.add("ok");
    }

    @Override
    public void onReconcileFailed(Throwable error) {
      heard.add("failed: " + error.getMessage());
    }
  };

  private HostGwNetwork register() throws Exception {
    return register(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofHours(1)));
  }

  private static Lease lease(String subnet, String ip) {
    return Lease.of(Ip4Net.parse(subnet), LeaseAttrs.of(Ip4.parse(ip)).withBackend("host-gw", null));
  }

  private static final Lease H2 = lease("10.5.90.0/24", "192.0.2.12");
  private static final Lease H3 = lease("10.5.85.0/24", "192.0.2.13");

  private boolean routed(Lease l) {
    return nl.routes.stream().anyMatch(r -> r.dst().equals(l.subnet()) && l.attrs().publicIp().equals(r.gateway())
        && r.linkIndex() == 2 && !r.isOnlink());
  }

  @Test
  void publishesHostGwLeaseWithoutBackendData() throws Exception {
    HostGwNetwork n = register();
    LeaseAttrs attrs = sm.acquired.get(0);
    assertEquals("host-gw", attrs.backendType());
    assertEquals(Optional.empty(), attrs.backendData());
    assertEquals(Ip4.parse("192.0.2.11"), attrs.publicIp());
    assertEquals(1500, n.mtu(), "no encapsulation: the underlay MTU");
    assertTrue(nl.links.size() == 1, "no device is created");
  }

  @Test
  void refusesNatWithFlannelsMessage() {
    StubSubnetManager stub = new StubSubnetManager(CONFIG, "10.5.83.0/24");
    BackendException e = assertThrows(BackendException.class, () -> HostGwBackend.create()
        .register(new BackendContext(stub, stub.config, EXT.withExtAddr(Ip4.parse("203.0.113.7")))));
    assertEquals("your PublicIP differs from interface IP, meaning that probably you're on a NAT, which is not"
        + " supported by host-gw backend", e.getMessage());
    assertTrue(stub.acquired.isEmpty(), "no lease is taken");
  }

  @Test
  void routesEveryRemoteLeaseViaItsPublicIp() throws Exception {
    HostGwNetwork n = register();
    n.onSnapshot(List.of(H2, H3, n.lease()));
    assertTrue(routed(H2));
    assertTrue(routed(H3));
    assertEquals(2, nl.routes.size(), "not the node's own lease");
    assertEquals(1, nl.routeBatches.get());
  }

  @Test
  void removalDeletesTheRoute() throws Exception {
    HostGwNetwork n = register();
    n.onSnapshot(List.of(H2, H3));
    n.onEvents(List.of(LeaseEvent.removed(H2)));
    assertFalse(routed(H2));
    assertTrue(routed(H3));
    n.onEvents(List.of(LeaseEvent.removed(H2)));
  }

  @Test
  void differingRouteIsReplaced() throws Exception {
    HostGwNetwork n = register();
    nl.routeReplace(Route.builder(H2.subnet()).withGateway(Ip4.parse("192.0.2.99")).withLinkIndex(2).build());
    nl.routeReplace(Route.builder(H3.subnet()).withGateway(Ip4.parse("192.0.2.98")).withLinkIndex(2)
        .withPriority(50).build());
    n.onSnapshot(List.of(H2, H3));
    assertTrue(routed(H2));
    assertTrue(routed(H3));
    assertEquals(2, nl.routes.size(), "the differing routes are gone: " + nl.routes);
  }

  @Test
  void differingRouteWithAMetricIsDeletedAfterAnEvent() throws Exception {
    HostGwNetwork n = register();
    nl.routeReplace(Route.builder(H3.subnet()).withGateway(Ip4.parse("192.0.2.98")).withLinkIndex(2)
        .withPriority(50).build());
    n.onEvents(List.of(LeaseEvent.added(H3)));
    assertTrue(routed(H3), "the lease's route is added at once");
    n.removeQueuedConflicts(); // the check thread does this shortly after the event
    assertTrue(routed(H3));
    assertEquals(1, nl.routes.size(), "the differing route is gone: " + nl.routes);
  }

  @Test
  void otherBackendTypesAreIgnored() throws Exception {
    HostGwNetwork n = register();
    Lease vxlan = Lease.of(Ip4Net.parse("10.5.60.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.14"))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:01\"}"));
    n.onSnapshot(List.of(vxlan));
    n.onEvents(List.of(LeaseEvent.added(vxlan), LeaseEvent.removed(vxlan)));
    assertTrue(nl.routes.isEmpty());
  }

  @Test
  void routeCheckRestoresRoutesDeletedFromOutside() throws Exception {
    HostGwNetwork n = register();
    n.onSnapshot(List.of(H2, H3));
    nl.routeDel(Route.builder(H2.subnet()).withGateway(H2.attrs().publicIp()).withLinkIndex(2).build());
    n.checkRoutes();
    assertTrue(routed(H2));
  }

  @Test
  void periodicCheckRunsByItself() throws Exception {
    HostGwNetwork n = register(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofMillis(50)));
    n.onSnapshot(List.of(H2));
    nl.routeDel(Route.builder(H2.subnet()).withGateway(H2.attrs().publicIp()).withLinkIndex(2).build());
    Await.until("the periodic check restores the route", Duration.ofSeconds(10), () -> routed(H2));
  }

  @Test
  void whileRepairsArePausedNeitherTheWatchNorThePeriodRestoresAndResumingDoes() throws Exception {
    HostGwNetwork n = register(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofMillis(50)));
    n.onSnapshot(List.of(H2));
    RepairSeam.pause();
    try {
      heard.clear();
      nl.deleteRouteFromOutside(Route.builder(H2.subnet()).withGateway(H2.attrs().publicIp()).withLinkIndex(2).build());
      Thread.sleep(300); // six periods, and the deletion event
      assertFalse(routed(H2), "restored while paused");
      assertEquals(Drift.MISSING, peer(n.dataPlane(), H2).entries().get(0).drift());
      assertEquals(List.of(), heard, "no check ran, so none is reported");
    } finally {
      RepairSeam.resume();
    }
    Await.until("the check restores the route once resumed", Duration.ofSeconds(10), () -> routed(H2));
    Await.until("and tells", Duration.ofSeconds(10), () -> heard.contains("ROUTE_RESTORED 1"));
  }

  @Test
  void failedRouteIsRetriedByTheCheck() throws Exception {
    HostGwNetwork n = register();
    nl.failRoute = r -> r.dst().equals(H2.subnet());
    n.onSnapshot(List.of(H2, H3));
    assertFalse(routed(H2));
    assertTrue(routed(H3));
    nl.failRoute = r -> false;
    n.checkRoutes();
    assertTrue(routed(H2));
  }

  @Test
  void theCheckTellsWhatItRestoredAndThatItEndedWell() throws Exception {
    HostGwNetwork n = register();
    n.onSnapshot(List.of(H2, H3));
    n.checkRoutes();
    assertEquals(List.of("ok"), heard, "nothing to restore");
    nl.routeDel(Route.builder(H2.subnet()).withGateway(H2.attrs().publicIp()).withLinkIndex(2).build());
    n.checkRoutes();
    assertEquals(List.of("ok", "ROUTE_RESTORED 1", "ok"), heard);
  }

  @Test
  void aFailedWriteIsThePeersLastErrorAndFailsTheCheckUntilItIsWritten() throws Exception {
    HostGwNetwork n = register();
    nl.failRoute = r -> r.dst().equals(H2.subnet());
    n.onSnapshot(List.of(H2, H3));
    PeerStatus h2 = peer(n.dataPlane(), H2);
    assertEquals(List.of(new DataPlaneEntry("route", "10.5.90.0/24 via 192.0.2.12 dev eth0", Drift.MISSING)),
        h2.entries());
    assertTrue(h2.lastError().orElseThrow().startsWith("ip route replace 10.5.90.0/24 via 192.0.2.12 dev eth0: "),
        h2.lastError().toString());
    assertTrue(peer(n.dataPlane(), H3).inSync());
    n.checkRoutes();
    assertEquals(1, heard.size(), heard.toString());
    assertTrue(heard.get(0).startsWith("failed: "), heard.toString());
    nl.failRoute = r -> false;
    n.checkRoutes();
    assertEquals(List.of("ROUTE_RESTORED 1", "ok"), heard.subList(1, heard.size()));
    assertTrue(n.dataPlane().inSync(), n.dataPlane().toString());
  }

  @Test
  void dataPlaneTellsMissingWrongAndStaleRoutesAndSkipsOtherBackendTypes() throws Exception {
    HostGwNetwork n = register();
    Lease vxlan = Lease.of(Ip4Net.parse("10.5.60.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.14"))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:01\"}"));
    Lease h4 = lease("10.5.86.0/24", "192.0.2.16");
    n.onSnapshot(List.of(H2, H3, h4, vxlan, n.lease()));
    DataPlaneView v = n.dataPlane();
    assertTrue(v.inSync(), v.toString());
    assertEquals(List.of(H2, H3, h4, vxlan), v.peers().stream().map(PeerStatus::lease).toList(), "not our own lease");
    assertEquals(List.of(), peer(v, vxlan).entries(), "another backend type's lease: nothing kept for it");

    // Behind the network's back: H2's route deleted, h4's pointed elsewhere, a stale one and one of the vxlan node.
    nl.routes.removeIf(r -> r.dst().equals(H2.subnet()));
    nl.routes.removeIf(r -> r.dst().equals(h4.subnet()));
    nl.routes.add(Route.builder(h4.subnet()).withGateway(Ip4.parse("192.0.2.99")).withLinkIndex(2).build());
    nl.routes.add(Route.builder(Ip4Net.parse("10.5.77.0/24")).withGateway(Ip4.parse("192.0.2.77")).withLinkIndex(2)
        .build());
    nl.routes.add(Route.builder(vxlan.subnet()).withGateway(Ip4.parse("192.0.2.14")).withLinkIndex(2).build());
    v = n.dataPlane();
    assertEquals(Drift.MISSING, peer(v, H2).entries().get(0).drift());
    assertTrue(peer(v, H3).inSync());
    assertEquals(Drift.WRONG, peer(v, h4).entries().get(0).drift());
    assertEquals(List.of(new DataPlaneEntry("route", "10.5.77.0/24 via 192.0.2.77 dev eth0", Drift.STALE)), v.stale(),
        "a route to a leased subnet is never stale, another backend's neither");
    assertEquals(List.of(), heard, "looking repairs nothing");
  }

  @Test
  void aSnapshotTellsTheStaleRoutesItRemoved() throws Exception {
    nl.routes.add(Route.builder(Ip4Net.parse("10.5.77.0/24")).withGateway(Ip4.parse("192.0.2.77")).withLinkIndex(2)
        .build());
    HostGwNetwork n = register();
    n.onSnapshot(List.of(H2));
    assertEquals(List.of("STALE_REMOVED 1"), heard);
    assertEquals(List.of(), n.dataPlane().stale());
  }

  private static PeerStatus peer(DataPlaneView v, Lease l) {
    return v.peers().stream().filter(p -> p.lease().equals(l)).findFirst().orElseThrow(() -> new AssertionError(
        "no status for " + l + " in " + v));
  }

  @Test
  void changedPublicIpReplacesTheRoute() throws Exception {
    HostGwNetwork n = register();
    n.onSnapshot(List.of(H2));
    Lease moved = lease("10.5.90.0/24", "192.0.2.22");
    n.onEvents(List.of(LeaseEvent.added(moved)));
    assertTrue(routed(moved));
    assertEquals(1, nl.routes.size());
  }

  @Test
  void foundThroughServiceLoader() {
    Backend b = Backend.byType("host-gw").orElseThrow();
    assertEquals("host-gw", b.type());
    assertTrue(b instanceof HostGwBackend);
  }

  @Test
  void closeIsPromptAndLeavesRoutes() throws Exception {
    TestThreads before = TestThreads.named("overlaynet-hostgw-");
    HostGwNetwork n = register(HostGwOptions.DEFAULT);
    n.onSnapshot(List.of(H2));
    Set<Thread> threads = before.started();
    assertEquals(1, threads.size(), "the route check thread: " + threads);
    long t0 = System.nanoTime();
    n.close();
    n.close();
    // The thread waits for its next check, 10 s away (the default interval): unless close() wakes
    // it, it is still waiting after the 5 s below, which are a margin for a loaded machine.
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
    TestThreads.assertEnd(threads, Duration.ofSeconds(5));
    assertTrue(nl.closed);
    assertTrue(routed(H2));
  }

  // ------------------------------------------------------------------ IPv6 (issue 14, B10)

  private static final String DUAL = "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
      + "\"Backend\":{\"Type\":\"host-gw\"}}";
  private static final String V6_ONLY = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
      + "\"Backend\":{\"Type\":\"host-gw\"}}";
  private static final ExternalInterface EXT6 = new ExternalInterface("eth0", 2, 1500, Ip4.parse("192.0.2.11"),
      Ip4.parse("192.0.2.11"), Optional.of(Ip6.parse("2001:db8::11")), Optional.of(Ip6.parse("2001:db8::11")));

  private HostGwNetwork register(String config, ExternalInterface ext) {
    sm = new StubSubnetManager(config, "10.5.83.0/24");
    HostGwNetwork n = (HostGwNetwork) new HostGwBackend(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofHours(1)),
        () -> nl).register(new BackendContext(sm, sm.config, ext));
    opened.add(n);
    return n;
  }

  private static Lease lease6(String subnet, String ip, String subnet6, String ip6) {
    LeaseAttrs a = LeaseAttrs.of(Ip4.parse(ip)).withPublicIpv6(Ip6.parse(ip6)).withBackend("host-gw", null);
    return new Lease(subnet == null ? Ip4Net.EMPTY : Ip4Net.parse(subnet), Optional.of(Ip6Net.parse(subnet6)), a,
        Optional.empty());
  }

  private boolean routed6(String dst, String via) {
    return nl.routes.stream().anyMatch(r -> r.dst().equals(Ip6Net.parse(dst)) && Ip6.parse(via).equals(r.gateway())
        && r.linkIndex() == 2);
  }

  @Test
  void dualStackRoutesBothFamiliesOfEachPeerAndPublishesPublicIpv6() throws Exception {
    HostGwNetwork n = register(DUAL, EXT6);
    assertEquals(Optional.of(Ip6.parse("2001:db8::11")), sm.acquired.get(0).publicIpv6());
    Lease h2 = lease6("10.5.22.0/24", "192.0.2.12", "fd00:5:0:16::/64", "2001:db8::12");
    n.onSnapshot(List.of(h2));
    assertTrue(routed(h2), nl.routes.toString());
    assertTrue(routed6("fd00:5:0:16::/64", "2001:db8::12"), nl.routes.toString());
    n.onEvents(List.of(LeaseEvent.removed(h2)));
    assertEquals(List.of(), nl.routes.stream().filter(r -> r.linkIndex() == 2 && r.gateway() != null).toList());
  }

  @Test
  void ipv6OnlyRoutesTheIpv6SubnetsAndTellsLeasesApart() throws Exception {
    HostGwNetwork n = register(V6_ONLY, EXT6);
    assertEquals(Ip4.ANY, sm.acquired.get(0).publicIp());
    Lease h2 = lease6(null, "0.0.0.0", "fd00:5:0:16::/64", "2001:db8::12");
    Lease h3 = lease6(null, "0.0.0.0", "fd00:5:0:17::/64", "2001:db8::13");
    n.onEvents(List.of(LeaseEvent.added(h2), LeaseEvent.added(h3)));
    assertTrue(routed6("fd00:5:0:16::/64", "2001:db8::12") && routed6("fd00:5:0:17::/64", "2001:db8::13"),
        nl.routes.toString());
    assertTrue(nl.routes.stream().noneMatch(r -> r.dst() instanceof Ip4Net && r.gateway() != null), nl.routes.toString());
  }

  @Test
  void aSnapshotRemovesStaleIpv6RoutesAndTheCheckRestoresDeletedOnes() throws Exception {
    HostGwNetwork n = register(DUAL, EXT6);
    Route stale = Route.builder(Ip6Net.parse("fd00:5:0:9::/64")).withGateway(Ip6.parse("2001:db8::99"))
        .withLinkIndex(2).build();
    nl.routeAdd(stale);
    Lease h2 = lease6("10.5.22.0/24", "192.0.2.12", "fd00:5:0:16::/64", "2001:db8::12");
    n.onSnapshot(List.of(h2));
    assertFalse(routed6("fd00:5:0:9::/64", "2001:db8::99"), "the stale route is gone: " + nl.routes);
    nl.routeDel(Route.builder(Ip6Net.parse("fd00:5:0:16::/64")).withGateway(Ip6.parse("2001:db8::12"))
        .withLinkIndex(2).build());
    n.checkRoutes();
    assertTrue(routed6("fd00:5:0:16::/64", "2001:db8::12"), nl.routes.toString());
  }

  @Test
  void dualStackWithoutAnIpv6AddressNamesTheInterfaceAndTheFlag() {
    StubSubnetManager stub = new StubSubnetManager(DUAL, "10.5.83.0/24");
    BackendException e = assertThrows(BackendException.class, () -> new HostGwBackend(HostGwOptions.DEFAULT, () -> nl)
        .register(new BackendContext(stub, stub.config, EXT)));
    assertTrue(e.getMessage().contains("eth0 has no IPv6 address") && e.getMessage().contains("--iface"), e.getMessage());
    assertTrue(stub.acquired.isEmpty(), "no lease is taken");
  }

  /** Review finding: one batch with B's lease of a subnet added and A's removed keeps B's route. */
  @Test
  void aRemovedLeaseNeverTakesAnotherLeasesRouteOfTheSameSubnet() throws Exception {
    HostGwNetwork n = register(DUAL, EXT6);
    Lease a = lease6("10.5.22.0/24", "192.0.2.12", "fd00:5:0:16::/64", "2001:db8::12");
    Lease b = lease6("10.5.22.0/24", "192.0.2.13", "fd00:5:0:17::/64", "2001:db8::13");
    n.onEvents(List.of(LeaseEvent.added(a)));
    n.onEvents(List.of(LeaseEvent.added(b), LeaseEvent.removed(a)));
    assertTrue(routed(b), "B's IPv4 route is there: " + nl.routes);
    assertTrue(routed6("fd00:5:0:17::/64", "2001:db8::13"), nl.routes.toString());
    assertFalse(routed6("fd00:5:0:16::/64", "2001:db8::12"), "A's own IPv6 route goes: " + nl.routes);
    // ... and B's route is still one this network keeps: deleted by hand, the check restores it.
    nl.routeDel(Route.builder(b.subnet()).withGateway(b.attrs().publicIp()).withLinkIndex(2).build());
    n.checkRoutes();
    assertTrue(routed(b), "B's IPv4 route is restored: " + nl.routes);
  }
}
