package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.FakeNetlink;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.StubSubnetManager;
import io.overlaynet.testing.TestThreads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseEvent;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.VxlanInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VxlanNetworkTest {

  private static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
  private static final ExternalInterface EXT = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11"));

  private final FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
  private final List<VxlanNetwork> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(VxlanNetwork::close);
  }

  private VxlanNetwork register(String config, VxlanOptions options) throws Exception {
    StubSubnetManager sm = new StubSubnetManager(config, "10.5.96.0/24");
    VxlanNetwork n = (VxlanNetwork) new VxlanBackend(options, () -> nl)
        .register(new BackendContext(sm, sm.config, EXT));
    opened.add(n);
    return n;
  }

  private VxlanNetwork register() throws Exception {
    // A long period: the tests run reconcile() themselves.
    return register(CONFIG, VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofHours(1)));
  }

  private static Lease vxlanLease(String subnet, String publicIp, String mac) {
    return Lease.of(Ip4Net.parse(subnet), LeaseAttrs.of(Ip4.parse(publicIp))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"));
  }

  private static final Lease H2 = vxlanLease("10.5.60.0/24", "192.0.2.12", "92:dc:75:59:97:4a");
  private static final Lease H3 = vxlanLease("10.5.200.0/24", "192.0.2.13", "02:00:00:00:02:0d");

  private boolean programmed(int dev, Lease l, String mac) {
    Ip4 vtep = l.subnet().address();
    boolean route = nl.routes.stream().anyMatch(r -> r.dst().equals(l.subnet()) && vtep.equals(r.gateway())
        && r.linkIndex() == dev && r.isOnlink());
    boolean arp = nl.neighbors.stream().anyMatch(n -> n.linkIndex() == dev && n.ip().equals(vtep)
        && n.mac().equals(MacAddress.parse(mac)) && n.isPermanent());
    boolean fdb = nl.fdb.stream().anyMatch(e -> e.linkIndex() == dev && e.mac().equals(MacAddress.parse(mac))
        && l.attrs().publicIp().equals(e.dst()) && e.isSelf() && e.isPermanent());
    return route && arp && fdb;
  }

  private boolean nothingFor(Lease l) {
    return nl.routes.stream().noneMatch(r -> r.dst().equals(l.subnet()))
        && nl.neighbors.stream().noneMatch(n -> n.ip().equals(l.subnet().address()))
        && nl.fdb.stream().noneMatch(e -> l.attrs().publicIp().equals(e.dst()));
  }

  @Test
  void registersDeviceAndLeaseLikeFlannel() throws Exception {
    StubSubnetManager sm = new StubSubnetManager(CONFIG, "10.5.96.0/24");
    VxlanNetwork n = (VxlanNetwork) new VxlanBackend(VxlanOptions.DEFAULT, () -> nl)
        .register(new BackendContext(sm, sm.config, EXT));
    opened.add(n);
    Link dev = nl.linkByName("flannel.1");
    VxlanInfo vx = (VxlanInfo) dev.info();
    assertEquals(1, vx.vni());
    assertEquals(Ip4.parse("192.0.2.11"), vx.local());
    assertEquals(2, vx.vtepDevIndex());
    assertFalse(vx.learning());
    assertEquals(1450, dev.attrs().mtu());
    assertEquals(1450, n.mtu());
    assertTrue(dev.isUp());
    assertTrue(dev.attrs().hardwareAddr().isLocallyAdministered());
    assertFalse(dev.attrs().hardwareAddr().isMulticast());
    assertEquals(List.of("10.5.96.0/32"), nl.addrList(dev.index(), io.overlaynet.netlink.Family.V4).stream()
        .map(io.overlaynet.netlink.Address::cidr).toList());
    LeaseAttrs attrs = sm.acquired.get(0);
    assertEquals("vxlan", attrs.backendType());
    assertEquals(Ip4.parse("192.0.2.11"), attrs.publicIp());
    assertEquals(Optional.of("{\"VNI\":1,\"VtepMAC\":\"" + dev.attrs().hardwareAddr() + "\"}"), attrs.backendData());
  }

  @Test
  void configuredMtuAndPort() throws Exception {
    VxlanNetwork n = register("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":4,\"Port\":4789,"
        + "\"MTU\":1400,\"GBP\":true}}", VxlanOptions.DEFAULT);
    Link dev = nl.linkByName("flannel.4");
    assertEquals(1350, dev.attrs().mtu());
    assertEquals(1350, n.mtu());
    assertEquals(4789, ((VxlanInfo) dev.info()).port());
    assertTrue(((VxlanInfo) dev.info()).gbp());
  }

  @Test
  void restartReusesTheDeviceAndItsMac() throws Exception {
    VxlanNetwork first = register();
    Link dev = nl.linkByName("flannel.1");
    first.close();
    VxlanNetwork second = register();
    Link again = nl.linkByName("flannel.1");
    assertEquals(dev.index(), again.index());
    assertEquals(dev.attrs().hardwareAddr(), again.attrs().hardwareAddr());
    assertEquals(dev.index(), second.deviceIndex());
  }

  @Test
  void snapshotProgramsArpFdbAndOnlinkRoutesInOneBatch() throws Exception {
    VxlanNetwork n = register();
    int dev = n.deviceIndex();
    int batches = nl.routeBatches.get();
    n.onSnapshot(List.of(H2, H3));
    assertTrue(programmed(dev, H2, "92:dc:75:59:97:4a"));
    assertTrue(programmed(dev, H3, "02:00:00:00:02:0d"));
    assertEquals(batches + 1, nl.routeBatches.get());
  }

  @Test
  void removalUndoesAllThree() throws Exception {
    VxlanNetwork n = register();
    n.onSnapshot(List.of(H2, H3));
    n.onEvents(List.of(LeaseEvent.removed(H2)));
    assertTrue(nothingFor(H2));
    assertTrue(programmed(n.deviceIndex(), H3, "02:00:00:00:02:0d"));
    n.onEvents(List.of(LeaseEvent.removed(H2))); // again: absent entries are fine
  }

  @Test
  void otherBackendTypesAreIgnored() throws Exception {
    VxlanNetwork n = register();
    Lease hostGw = Lease.of(Ip4Net.parse("10.5.9.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.14"))
        .withBackend("host-gw", null));
    Lease udp = Lease.of(Ip4Net.parse("10.5.10.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.15")));
    Lease garbage = Lease.of(Ip4Net.parse("10.5.11.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.16"))
        .withBackend("vxlan", "{\"VNI\":1}"));
    n.onSnapshot(List.of(hostGw, udp, garbage));
    n.onEvents(List.of(LeaseEvent.added(hostGw)));
    assertTrue(nl.routes.isEmpty());
    assertTrue(nl.neighbors.isEmpty());
    assertTrue(nl.fdb.isEmpty());
  }

  @Test
  void ownLeaseIsNeverProgrammed() throws Exception {
    VxlanNetwork n = register();
    n.onSnapshot(List.of(n.lease()));
    assertTrue(nl.routes.isEmpty());
  }

  @Test
  void changedMacReplacesEntriesAndDropsTheOldFdbEntry() throws Exception {
    VxlanNetwork n = register();
    n.onSnapshot(List.of(H2));
    Lease rebuilt = vxlanLease("10.5.60.0/24", "192.0.2.12", "92:dc:75:59:97:4b");
    n.onEvents(List.of(LeaseEvent.added(rebuilt)));
    assertTrue(programmed(n.deviceIndex(), rebuilt, "92:dc:75:59:97:4b"));
    assertEquals(1, nl.fdb.size());
    assertEquals(1, nl.neighbors.size());
  }

  @Test
  void lastEventPerSubnetWinsInABatch() throws Exception {
    VxlanNetwork n = register();
    n.onSnapshot(List.of());
    n.onEvents(List.of(LeaseEvent.added(H2), LeaseEvent.removed(H2), LeaseEvent.added(H3)));
    assertTrue(nothingFor(H2));
    assertTrue(programmed(n.deviceIndex(), H3, "02:00:00:00:02:0d"));
  }

  @Test
  void fdbFailureRemovesTheArpEntry() throws Exception {
    VxlanNetwork n = register();
    nl.failFdb = e -> e.dst().equals(Ip4.parse("192.0.2.12"));
    n.onSnapshot(List.of(H2, H3));
    assertTrue(nothingFor(H2));
    assertTrue(programmed(n.deviceIndex(), H3, "02:00:00:00:02:0d"));
  }

  @Test
  void routeFailureRemovesArpAndFdbAndReconcileRetries() throws Exception {
    VxlanNetwork n = register();
    nl.failRoute = r -> r.dst().equals(H2.subnet());
    n.onSnapshot(List.of(H2, H3));
    assertTrue(nothingFor(H2));
    assertTrue(programmed(n.deviceIndex(), H3, "02:00:00:00:02:0d"));
    nl.failRoute = r -> false;
    n.reconcile();
    assertTrue(programmed(n.deviceIndex(), H2, "92:dc:75:59:97:4a"));
  }

  @Test
  void directRoutingUsesAPlainRouteViaThePublicIp() throws Exception {
    VxlanNetwork n = register("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":true}}",
        VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofHours(1)));
    // H2 is on the segment; H3 only through a gateway.
    nl.routeGet = ip -> ip.equals(Ip4.parse("192.0.2.12"))
        ? List.of(Route.builder(io.overlaynet.ip.IpNet.parse("192.0.2.12/32")).withLinkIndex(2).build())
        : List.of(Route.builder(io.overlaynet.ip.IpNet.parse("192.0.2.13/32")).withGateway(Ip4.parse("192.0.2.1"))
            .withLinkIndex(2).build());
    n.onSnapshot(List.of(H2, H3));
    assertTrue(nl.routes.stream().anyMatch(r -> r.dst().equals(H2.subnet()) && Ip4.parse("192.0.2.12").equals(r.gateway())
        && r.linkIndex() == 2 && !r.isOnlink()));
    assertTrue(nl.neighbors.stream().noneMatch(x -> x.ip().equals(H2.subnet().address())));
    assertTrue(programmed(n.deviceIndex(), H3, "02:00:00:00:02:0d"));
    n.onEvents(List.of(LeaseEvent.removed(H2)));
    assertTrue(nothingFor(H2));
  }

  @Test
  void reconcileRestoresDeletedEntries() throws Exception {
    VxlanNetwork n = register();
    int dev = n.deviceIndex();
    n.onSnapshot(List.of(H2, H3));
    nl.routeDel(Route.builder(H2.subnet()).withGateway(H2.subnet().address()).withLinkIndex(dev).build());
    nl.neighDel(Neighbor.permanent(dev, H3.subnet().address(), MacAddress.parse("02:00:00:00:02:0d")));
    nl.fdbDel(FdbEntry.vxlanRemote(dev, MacAddress.parse("92:dc:75:59:97:4a"), Ip4.parse("192.0.2.12")));
    n.reconcile();
    assertTrue(programmed(dev, H2, "92:dc:75:59:97:4a"));
    assertTrue(programmed(dev, H3, "02:00:00:00:02:0d"));
  }

  @Test
  void reconcileRecreatesADeletedDeviceWithTheSameMac() throws Exception {
    VxlanNetwork n = register();
    Link before = nl.linkByName("flannel.1");
    n.onSnapshot(List.of(H2, H3));
    nl.linkDel(before.index());
    n.reconcile();
    Link after = nl.linkByName("flannel.1");
    assertNotEquals(before.index(), after.index());
    assertEquals(before.attrs().hardwareAddr(), after.attrs().hardwareAddr());
    assertTrue(after.isUp());
    assertEquals(after.index(), n.deviceIndex());
    assertTrue(programmed(after.index(), H2, "92:dc:75:59:97:4a"));
    assertTrue(programmed(after.index(), H3, "02:00:00:00:02:0d"));
  }

  @Test
  void linkWatchRecreatesADeletedDeviceAtOnce() throws Exception {
    VxlanNetwork n = register();
    n.onSnapshot(List.of(H2));
    nl.deleteFromOutside("flannel.1");
    // "At once": the reconcile interval is an hour, so only the link watch can do it in time.
    Await.until("flannel.1 recreated and programmed", Duration.ofSeconds(10), this::devicePresentAndProgrammed);
    assertEquals(nl.linkByName("flannel.1").index(), n.deviceIndex());
  }

  private boolean devicePresentAndProgrammed() {
    try {
      return programmed(nl.linkByName("flannel.1").index(), H2, "92:dc:75:59:97:4a");
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void snapshotRemovesStaleEntriesFromBeforeARestart() throws Exception {
    VxlanNetwork first = register();
    first.onSnapshot(List.of(H2, H3));
    first.close();
    // H3's lease expired while no agent ran.
    VxlanNetwork second = register();
    second.onSnapshot(List.of(H2));
    assertTrue(nothingFor(H3));
    assertTrue(programmed(second.deviceIndex(), H2, "92:dc:75:59:97:4a"));
  }

  @Test
  void fiveThousandLeasesUseOneRouteBatchAndNoPerLeaseDumps() throws Exception {
    VxlanNetwork n = register("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"vxlan\"}}",
        VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofHours(1)));
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      int hi = 6 + i / 250;
      int lo = 1 + i % 250;
      leases.add(vxlanLease("10." + hi + "." + lo + ".0/24", "192.0." + hi + "." + lo,
          String.format("02:00:00:00:%02x:%02x", i >> 8, i & 0xff)));
    }
    int routeDumps = nl.routeDumps.get();
    long t0 = System.nanoTime();
    n.onSnapshot(leases);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(5000, nl.routes.size());
    assertEquals(5000, nl.neighbors.size());
    assertEquals(5000, nl.fdb.size());
    assertTrue(nl.routeDumps.get() - routeDumps <= 1, "one dump for stale entries, none per lease");
    assertTrue(ms < 10_000, "took " + ms + " ms");
  }

  @Test
  void foundThroughServiceLoader() {
    Backend b = Backend.byType("vxlan").orElseThrow();
    assertEquals("vxlan", b.type());
    assertTrue(b instanceof VxlanBackend);
  }

  @Test
  void closeIsPromptAndIdempotent() throws Exception {
    TestThreads before = TestThreads.named("overlaynet-vxlan-");
    VxlanNetwork n = register(CONFIG, VxlanOptions.DEFAULT);
    Set<Thread> threads = before.started();
    assertEquals(1, threads.size(), "the reconciliation thread: " + threads);
    long t0 = System.nanoTime();
    n.close();
    n.close();
    // The thread waits for its next round, 10 s away (the default interval): unless close() wakes
    // it, it is still waiting after the 5 s below, which are a margin for a loaded machine.
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
    TestThreads.assertEnd(threads, Duration.ofSeconds(5));
    assertTrue(nl.closed);
    assertTrue(nl.linkListeners.isEmpty());
    // Like flanneld, the device stays.
    assertEquals("flannel.1", nl.linkByName("flannel.1").name());
  }
}
