package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.BackendContext;
import io.overlaynet.BackendException;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.LeaseEvent;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.VxlanInfo;
import io.overlaynet.netlink.testing.FakeNetlink;
import io.overlaynet.testing.StubSubnetManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** flannel-v6.VNI beside (or instead of) flannel.VNI, against a fake kernel; golden values from reference B10/B12. */
class VxlanIpv6Test {

  static final String DUAL = "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24,\"EnableIPv6\":true,"
      + "\"IPv6Network\":\"fd00:5::/56\",\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"vxlan\"}}";
  static final String V6_ONLY = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
      + "\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"vxlan\"}}";
  static final Ip6 ETH0_V6 = Ip6.parse("2001:db8::11");
  static final ExternalInterface EXT = new ExternalInterface("eth0", 2, 1500, Ip4.parse("192.0.2.11"),
      Ip4.parse("192.0.2.11"), Optional.of(ETH0_V6), Optional.of(ETH0_V6));

  private final FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
  private final List<VxlanNetwork> opened = new ArrayList<>();
  private StubSubnetManager sm;

  @AfterEach
  void closeAll() {
    opened.forEach(VxlanNetwork::close);
  }

  private VxlanNetwork register(String config, String subnet, String subnet6, ExternalInterface ext) {
    nl.addrs.add(Address.of(2, ETH0_V6, 64));
    sm = new StubSubnetManager(config, subnet, subnet6);
    VxlanNetwork n = (VxlanNetwork) new VxlanBackend(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofHours(1)),
        () -> nl).register(new BackendContext(sm, sm.config, ext));
    opened.add(n);
    return n;
  }

  private VxlanNetwork dual() {
    return register(DUAL, "10.5.72.0/24", "fd00:5:0:3a::/64", EXT);
  }

  /** h2 of reference B10: both families, each with its own VTEP MAC. */
  static final Lease H2 = new Lease(Ip4Net.parse("10.5.22.0/24"), Optional.of(Ip6Net.parse("fd00:5:0:16::/64")),
      LeaseAttrs.of(Ip4.parse("192.0.2.12")).withPublicIpv6(Ip6.parse("2001:db8::12"))
          .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"92:dc:75:59:97:4a\"}")
          .withBackendV6Data("{\"VNI\":1,\"VtepMAC\":\"26:65:95:3b:8c:f9\"}"), Optional.empty());

  static Lease v6Only(String subnet6, String publicIpv6, String mac) {
    return new Lease(Ip4Net.EMPTY, Optional.of(Ip6Net.parse(subnet6)), LeaseAttrs.of(Ip4.ANY)
        .withPublicIpv6(Ip6.parse(publicIpv6)).withBackend("vxlan", null)
        .withBackendV6Data("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), Optional.empty());
  }

  private Link link(String name) throws Exception {
    return nl.linkByName(name);
  }

  /** The three objects of flannel's v6 peer: route via the peer's v6 network address onlink, NDP entry, FDB entry. */
  private boolean programmed6(int dev, Ip6Net subnet, String mac, String publicIpv6) {
    Ip6 vtep = subnet.address();
    MacAddress m = MacAddress.parse(mac);
    return nl.routes.stream().anyMatch(r -> r.dst().equals(subnet) && vtep.equals(r.gateway())
            && r.linkIndex() == dev && r.isOnlink())
        && nl.neighbors.stream().anyMatch(n -> n.linkIndex() == dev && n.ip().equals(vtep) && m.equals(n.mac())
            && n.isPermanent() && n.type() == 1)
        && nl.fdb.stream().anyMatch(e -> e.linkIndex() == dev && e.mac().equals(m)
            && Ip6.parse(publicIpv6).equals(e.dst()) && e.isSelf() && e.isPermanent());
  }

  private boolean nothingOn(int dev) {
    return nl.routes.stream().noneMatch(r -> r.linkIndex() == dev) && nl.neighbors.stream().noneMatch(n -> n.linkIndex() == dev)
        && nl.fdb.stream().noneMatch(e -> e.linkIndex() == dev);
  }

  @Test
  void dualStackMakesFlannelV6BesideFlannelAndPublishesBothVteps() throws Exception {
    VxlanNetwork n = dual();
    Link v4 = link("flannel.1");
    Link v6 = link("flannel-v6.1");
    VxlanInfo vx6 = (VxlanInfo) v6.info();
    // flannel-v6.1: mtu 1430 ... vxlan id 1 local 2001:db8::11 dev eth0 dstport 8472 nolearning
    //   udpcsum noudp6zerocsumtx noudp6zerocsumrx
    assertEquals(1430, v6.attrs().mtu());
    assertEquals(1, vx6.vni());
    assertEquals(ETH0_V6, vx6.local());
    assertEquals(2, vx6.vtepDevIndex());
    assertEquals(8472, vx6.port());
    assertFalse(vx6.learning());
    assertTrue(vx6.udpCsum() && !vx6.udp6ZeroCsumTx() && !vx6.udp6ZeroCsumRx());
    assertEquals(Ip4.parse("192.0.2.11"), ((VxlanInfo) v4.info()).local());
    assertEquals(1450, v4.attrs().mtu());
    assertTrue(v6.isUp() && v4.isUp());
    // address fd00:5:0:3a::/128, the lease's network address
    assertEquals(List.of("fd00:5:0:3a::/128"), nl.addrList(v6.index(), io.overlaynet.netlink.Family.V6).stream()
        .map(Address::cidr).map(Object::toString).toList());
    assertEquals(List.of("10.5.72.0/32"), nl.addrList(v4.index(), io.overlaynet.netlink.Family.V4).stream()
        .map(Address::cidr).map(Object::toString).toList());
    assertEquals(1450, n.mtu(), "FLANNEL_MTU stays flanneld's 1450 in dual stack (B10)");
    assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + v4.attrs().hardwareAddr() + "\"},"
        + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + v6.attrs().hardwareAddr() + "\"}}",
        LeaseCodec.toJson(sm.acquired.get(0)));
    assertFalse(v4.attrs().hardwareAddr().equals(v6.attrs().hardwareAddr()), "each device has its own MAC");
  }

  @Test
  void aDualStackPeerIsProgrammedOnBothDevicesAndRemovedFromBoth() throws Exception {
    VxlanNetwork n = dual();
    n.onSnapshot(List.of(H2));
    int dev6 = n.deviceIndex6();
    assertTrue(programmed6(dev6, H2.ipv6Subnet().get(), "26:65:95:3b:8c:f9", "2001:db8::12"), nl.routes.toString());
    int dev4 = n.deviceIndex();
    assertTrue(nl.routes.stream().anyMatch(r -> r.dst().equals(H2.subnet()) && r.linkIndex() == dev4));
    assertTrue(nl.neighbors.stream().noneMatch(x -> x.linkIndex() == dev4 && x.ip() instanceof Ip6),
        "no IPv6 entry on flannel.1");
    n.onEvents(List.of(LeaseEvent.removed(H2)));
    assertTrue(nothingOn(dev6), "v6 objects left: " + nl.routes + nl.neighbors + nl.fdb);
    assertTrue(nothingOn(dev4));
  }

  @Test
  void ipv6OnlyMakesOnlyFlannelV6AndPublishesPublicIpZero() throws Exception {
    VxlanNetwork n = register(V6_ONLY, null, "fd00:5:0:f::/64", EXT);
    assertThrows(io.overlaynet.netlink.NetlinkNotFoundException.class, () -> link("flannel.1"));
    Link v6 = link("flannel-v6.1");
    assertEquals(1430, n.mtu(), "what fits flannel-v6.1");
    // B12: "PublicIP":"0.0.0.0", no BackendData
    assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"vxlan\","
        + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + v6.attrs().hardwareAddr() + "\"}}",
        LeaseCodec.toJson(sm.acquired.get(0)));
    // Two IPv6-only peers in one batch: both have the empty IPv4 subnet, both must be programmed.
    Lease a = v6Only("fd00:5:0:16::/64", "2001:db8::12", "26:65:95:3b:8c:f9");
    Lease b = v6Only("fd00:5:0:17::/64", "2001:db8::13", "26:65:95:3b:8c:fa");
    n.onEvents(List.of(LeaseEvent.added(a), LeaseEvent.added(b)));
    assertTrue(programmed6(v6.index(), a.ipv6Subnet().get(), "26:65:95:3b:8c:f9", "2001:db8::12"));
    assertTrue(programmed6(v6.index(), b.ipv6Subnet().get(), "26:65:95:3b:8c:fa", "2001:db8::13"));
    n.onSnapshot(List.of(b));
    assertTrue(nl.routes.stream().noneMatch(r -> r.dst().equals(a.ipv6Subnet().get())), "a's route stayed");
    assertTrue(programmed6(v6.index(), b.ipv6Subnet().get(), "26:65:95:3b:8c:fa", "2001:db8::13"));
  }

  @Test
  void dualStackWithoutAnIpv6AddressOnTheInterfaceSaysWhatToDo() {
    ExternalInterface v4Only = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11"));
    BackendException e = assertThrows(BackendException.class,
        () -> register(DUAL, "10.5.72.0/24", "fd00:5:0:3a::/64", v4Only));
    assertTrue(e.getMessage().contains("eth0") && e.getMessage().contains("no IPv6 address")
        && e.getMessage().contains("--public-ipv6"), e.getMessage());
    assertTrue(nl.links.values().stream().noneMatch(l -> l.name().startsWith("flannel")), "no device half made");
  }

  @Test
  void anUnderlayTooSmallForIpv6IsRefused() {
    ExternalInterface small = new ExternalInterface("eth0", 2, 1340, Ip4.parse("192.0.2.11"), Ip4.parse("192.0.2.11"),
        Optional.of(ETH0_V6), Optional.empty());
    BackendException e = assertThrows(BackendException.class,
        () -> register(DUAL, "10.5.72.0/24", "fd00:5:0:3a::/64", small));
    assertTrue(e.getMessage().contains("1270") && e.getMessage().contains("1350"), e.getMessage());
  }

  @Test
  void aSnapshotRemovesStaleV6EntriesButNotTheKernelsOwnRoutes() throws Exception {
    VxlanNetwork n = dual();
    int dev6 = n.deviceIndex6();
    // Left by a lease that expired while no agent ran, and the prefix route the kernel adds for the /128.
    Ip6Net gone = Ip6Net.parse("fd00:5:0:99::/64");
    MacAddress goneMac = MacAddress.parse("02:00:00:00:09:99");
    Route kernels = Route.builder(IpNet.parse("fd00:5:0:3a::/128")).withLinkIndex(dev6)
        .withProtocol(Route.PROTO_KERNEL).withPriority(256).build();
    nl.routes.add(Route.builder(gone).withGateway(gone.address()).withLinkIndex(dev6).withOnlink(true)
        .withPriority(1024).build());
    nl.routes.add(kernels);
    nl.neighbors.add(new Neighbor(dev6, gone.address(), goneMac, Neighbor.PERMANENT, 0, 1));
    nl.fdb.add(FdbEntry.vxlanRemote(dev6, goneMac, Ip6.parse("2001:db8::99")));
    n.onSnapshot(List.of(H2));
    assertTrue(nl.routes.stream().noneMatch(r -> r.dst().equals(gone)), "stale v6 route stayed: " + nl.routes);
    assertTrue(nl.neighbors.stream().noneMatch(x -> x.ip().equals(gone.address())), "stale NDP entry stayed");
    assertTrue(nl.fdb.stream().noneMatch(x -> x.mac().equals(goneMac)), "stale FDB entry stayed");
    assertTrue(nl.routes.contains(kernels), "the kernel's prefix route of the device address went");
    assertTrue(programmed6(dev6, H2.ipv6Subnet().get(), "26:65:95:3b:8c:f9", "2001:db8::12"));
  }

  @Test
  void directRoutingGoesViaThePeersPublicIpv6AndStaleDirectV6RoutesGo() throws Exception {
    String config = DUAL.replace("\"Type\":\"vxlan\"", "\"Type\":\"vxlan\",\"DirectRouting\":true");
    Route stale = Route.builder(IpNet.parse("fd00:5:0:85::/64")).withGateway(Ip6.parse("2001:db8::13"))
        .withLinkIndex(2).build();
    Route operators = Route.builder(IpNet.parse("2001:db8:1::/64")).withGateway(Ip6.parse("2001:db8::1"))
        .withLinkIndex(2).build();
    nl.routes.addAll(List.of(stale, operators));
    VxlanNetwork n = register(config, "10.5.72.0/24", "fd00:5:0:3a::/64", EXT);
    n.onSnapshot(List.of(H2));
    Ip6Net s6 = H2.ipv6Subnet().get();
    assertTrue(nl.routes.stream().anyMatch(r -> r.dst().equals(s6) && Ip6.parse("2001:db8::12").equals(r.gateway())
        && r.linkIndex() == 2 && !r.isOnlink()), "direct v6 route: " + nl.routes);
    assertTrue(nl.neighbors.stream().noneMatch(x -> x.ip() instanceof Ip6), "no NDP entry for a direct peer");
    assertTrue(nl.routes.stream().noneMatch(r -> r.dst().equals(stale.dst())), "stale direct v6 route stayed");
    assertTrue(nl.routes.contains(operators), "the operator's route went");
    n.onEvents(List.of(LeaseEvent.removed(H2)));
    assertTrue(nl.routes.stream().noneMatch(r -> r.dst().equals(s6)), "direct v6 route stayed after removal");
  }

  @Test
  void deletedV6EntriesAndADeletedFlannelV6AreRestored() throws Exception {
    VxlanNetwork n = dual();
    n.onSnapshot(List.of(H2));
    Ip6Net s6 = H2.ipv6Subnet().get();
    int dev6 = n.deviceIndex6();
    nl.routes.removeIf(r -> r.dst().equals(s6));
    nl.neighbors.removeIf(x -> x.ip().equals(s6.address()));
    n.reconcile();
    assertTrue(programmed6(dev6, s6, "26:65:95:3b:8c:f9", "2001:db8::12"), "route/NDP not restored");
    nl.fdb.removeIf(x -> x.dst() instanceof Ip6);
    n.reconcile();
    assertTrue(programmed6(dev6, s6, "26:65:95:3b:8c:f9", "2001:db8::12"), "FDB not restored");

    MacAddress mac = link("flannel-v6.1").attrs().hardwareAddr();
    nl.deleteFromOutside("flannel-v6.1");
    n.reconcile();
    Link again = link("flannel-v6.1");
    assertTrue(again.index() != dev6 && again.index() == n.deviceIndex6());
    assertEquals(mac, again.attrs().hardwareAddr(), "the MAC the lease publishes");
    assertEquals(ETH0_V6, ((VxlanInfo) again.info()).local());
    assertEquals(1430, again.attrs().mtu());
    assertTrue(nl.addrList(again.index(), io.overlaynet.netlink.Family.V6).stream()
        .anyMatch(a -> a.cidr().toString().equals("fd00:5:0:3a::/128")));
    assertTrue(programmed6(again.index(), s6, "26:65:95:3b:8c:f9", "2001:db8::12"), "not re-programmed");
    assertTrue(nl.routes.stream().anyMatch(r -> r.dst().equals(H2.subnet()) && r.linkIndex() == n.deviceIndex()),
        "flannel.1 untouched");
  }
}
