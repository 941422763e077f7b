package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.netlink.testing.Ip;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Addresses and routes, both directions against iproute2, IPv4 and IPv6. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class AddressRouteIT {

  private static Link upVeth(NetlinkHandle h, String name) throws NetlinkException {
    Link l = h.linkAdd(Link.of(name, VethInfo.peer(name + "p")));
    h.linkSetUp(l.index());
    h.linkSetUp(h.linkByName(name + "p").index());
    return h.linkByName(name);
  }

  @Test
  void addressesBothWays(NetNs ns) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link l = upVeth(h, "e0");
      h.addrAdd(Address.of(l.index(), "10.5.7.1/24"));
      h.addrAdd(Address.of(l.index(), "fd00:5::1/64").withFlags(Address.NODAD));
      assertThrows(NetlinkExistsException.class, () -> h.addrAdd(Address.of(l.index(), "10.5.7.1/24")));
      h.addrReplace(Address.of(l.index(), "10.5.7.1/24"));

      JsonArray info = Ip.one(ns.name(), "ip", "-j", "addr", "show", "dev", "e0").getAsJsonArray("addr_info");
      assertTrue(info.toString().contains("\"local\":\"10.5.7.1\",\"prefixlen\":24"), info.toString());
      assertTrue(info.toString().contains("\"local\":\"fd00:5::1\",\"prefixlen\":64"), info.toString());

      Ip.run(ns.name(), "ip", "addr", "add", "192.0.2.7/25", "brd", "+", "dev", "e0", "label", "e0:x");
      Address made = h.addrList(l.index(), Family.V4).stream()
          .filter(a -> a.ip().equals(Ip4.parse("192.0.2.7"))).findFirst().orElseThrow();
      assertEquals(25, made.prefixLength());
      assertEquals(Ip4.parse("192.0.2.127"), made.broadcast());
      assertEquals("e0:x", made.label());
      assertEquals(Scope.UNIVERSE, made.scope());
      assertTrue(h.addrList(0, Family.V6).stream().anyMatch(a -> a.ip().equals(Ip6.parse("fd00:5::1"))));
      assertTrue(h.addrList(0, Family.V4).stream().noneMatch(a -> a.ip() instanceof Ip6));

      h.addrDel(made);
      h.addrDel(Address.of(l.index(), "fd00:5::1/64"));
      info = Ip.one(ns.name(), "ip", "-j", "addr", "show", "dev", "e0").getAsJsonArray("addr_info");
      assertFalse(info.toString().contains("192.0.2.7"));
      assertFalse(info.toString().contains("fd00:5::1"));
    }
  }

  @Test
  void routesBothWays(NetNs ns) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link l = upVeth(h, "e0");
      h.addrAdd(Address.of(l.index(), "192.0.2.11/24"));
      h.addrAdd(Address.of(l.index(), "fd00:1::11/64").withFlags(Address.NODAD));

      // host-gw: 10.5.90.0/24 via 192.0.2.12 dev eth0
      Route hostGw = Route.builder(IpNet.parse("10.5.90.0/24")).withGateway(Ip4.parse("192.0.2.12"))
          .withLinkIndex(l.index()).build();
      h.routeAdd(hostGw);
      assertThrows(NetlinkExistsException.class, () -> h.routeAdd(hostGw));
      // udp: 10.5.0.0/16 dev flannel0 scope universe (explicit scope)
      Route devRoute = Route.builder(IpNet.parse("10.6.0.0/16")).withLinkIndex(l.index())
          .withScope(Scope.UNIVERSE).build();
      h.routeAdd(devRoute);
      Route blackhole = Route.builder(IpNet.parse("10.9.0.0/16")).withType(RouteType.BLACKHOLE).build();
      h.routeAdd(blackhole);
      Route inTable = Route.builder(IpNet.parse("10.7.0.0/16")).withLinkIndex(l.index()).withTable(100)
          .withPriority(50).build();
      h.routeAdd(inTable);
      Route v6 = Route.builder(IpNet.parse("fd00:99::/64")).withGateway(Ip6.parse("fd00:1::12"))
          .withLinkIndex(l.index()).build();
      h.routeAdd(v6);

      JsonObject r = VxlanScriptIT.find(Ip.json(ns.name(), "ip", "route"), "dst", "10.5.90.0/24");
      assertEquals("192.0.2.12", r.get("gateway").getAsString());
      assertEquals("e0", r.get("dev").getAsString());
      r = VxlanScriptIT.find(Ip.json(ns.name(), "ip", "route"), "dst", "10.6.0.0/16");
      assertFalse(r.has("scope"), "scope global is not printed by ip");
      r = VxlanScriptIT.find(Ip.json(ns.name(), "ip", "route"), "dst", "10.9.0.0/16");
      assertEquals("blackhole", r.get("type").getAsString());
      r = VxlanScriptIT.find(Ip.json(ns.name(), "ip", "route", "show", "table", "100"), "dst", "10.7.0.0/16");
      assertEquals(50, r.get("metric").getAsInt());
      r = VxlanScriptIT.find(Ip.json(ns.name(), "ip", "-6", "route"), "dst", "fd00:99::/64");
      assertEquals("fd00:1::12", r.get("gateway").getAsString());

      List<Route> main = h.routeList(Family.V4);
      assertTrue(main.containsAll(List.of(hostGw, devRoute, blackhole)), main.toString());
      assertFalse(main.contains(inTable));
      assertTrue(h.routeList(Family.V4, 100).contains(inTable));
      // IPv6 routes get the kernel's default metric 1024, so compare what was asked for.
      Route v6Read = h.routeList(Family.V6).stream().filter(x -> x.dst().equals(v6.dst())).findFirst().orElseThrow();
      assertEquals(v6.gateway(), v6Read.gateway());
      assertEquals(l.index(), v6Read.linkIndex());
      assertEquals(1024, v6Read.priority());
      assertTrue(h.routeList(Family.ALL, 0).containsAll(List.of(hostGw, inTable, v6Read)));

      // made by ip, read by the library: the kernel's connected route and an onlink route
      Ip.run(ns.name(), "ip", "route", "add", "10.8.0.0/24", "via", "10.8.0.1", "dev", "e0", "onlink", "metric", "7");
      Route onlink = h.routeList(Family.V4).stream().filter(x -> x.dst().equals(IpNet.parse("10.8.0.0/24")))
          .findFirst().orElseThrow();
      assertEquals(Ip4.parse("10.8.0.1"), onlink.gateway());
      assertTrue(onlink.isOnlink());
      assertEquals(7, onlink.priority());
      assertEquals(Scope.UNIVERSE, onlink.scope());
      Route connected = h.routeList(Family.V4).stream().filter(x -> x.dst().equals(IpNet.parse("192.0.2.0/24")))
          .findFirst().orElseThrow();
      assertEquals(Scope.LINK, connected.scope());
      assertEquals(Route.PROTO_KERNEL, connected.protocol());
      assertEquals(Ip4.parse("192.0.2.11"), connected.prefSrc());

      // ip route get: flannel's DirectRouting test (one route, no gateway) and via a gateway
      List<Route> direct = h.routeGet(Ip4.parse("192.0.2.12"));
      assertEquals(1, direct.size());
      assertNull(direct.get(0).gateway());
      assertEquals(l.index(), direct.get(0).linkIndex());
      assertEquals(Ip4.parse("192.0.2.12"), h.routeGet(Ip4.parse("10.5.90.5")).get(0).gateway());
      NetlinkException unreachable = assertThrows(NetlinkException.class, () -> h.routeGet(Ip4.parse("198.51.100.1")));
      assertEquals(101, unreachable.errno()); // ENETUNREACH: no default route here

      h.routeReplace(hostGw.toBuilder().withGateway(Ip4.parse("192.0.2.13")).build());
      r = VxlanScriptIT.find(Ip.json(ns.name(), "ip", "route"), "dst", "10.5.90.0/24");
      assertEquals("192.0.2.13", r.get("gateway").getAsString());

      for (Route x : List.of(devRoute, blackhole, inTable, v6)) {
        h.routeDel(x);
      }
      h.routeDel(Route.builder(IpNet.parse("10.5.90.0/24")).build());
      assertThrows(NetlinkNotFoundException.class, () -> h.routeDel(hostGw));
      String left = Ip.json(ns.name(), "ip", "route", "show", "table", "all").toString();
      for (String dst : List.of("10.5.90.0/24", "10.6.0.0/16", "10.9.0.0/16", "10.7.0.0/16", "fd00:99::/64")) {
        assertFalse(left.contains(dst), dst + " still in " + left);
      }
    }
  }

  @Test
  void batchProgramsAndRemovesManyRoutes(NetNs ns) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link l = upVeth(h, "e0");
      List<Route> routes = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        routes.add(Route.builder(IpNet.of(Ip4.of(10, 100 + i / 256, i % 256, 0), 24)).withLinkIndex(l.index()).build());
      }
      h.routeReplaceAll(routes);
      assertEquals(3000, Ip.run(ns.name(), "ip", "route").lines().filter(s -> s.startsWith("10.1")).count());
      h.routeReplaceAll(routes); // idempotent

      // one bad route in the middle: everything else still applied, the failure names the culprit
      List<Route> withBad = new ArrayList<>(routes.subList(0, 10));
      IpAddress unreachableGw = Ip4.parse("203.0.113.1");
      withBad.add(5, Route.builder(IpNet.parse("10.99.0.0/24")).withGateway(unreachableGw).build());
      NetlinkException e = assertThrows(NetlinkException.class, () -> h.routeDelAll(withBad));
      assertTrue(e.operation().contains("10.99.0.0/24"), e.operation());
      assertEquals(0, Ip.run(ns.name(), "ip", "route").lines().filter(s -> s.startsWith("10.100.0.")).count());

      h.routeDelAll(routes.subList(10, routes.size()));
      assertEquals(0, Ip.run(ns.name(), "ip", "route").lines().filter(s -> s.startsWith("10.1")).count());
    }
  }
}
