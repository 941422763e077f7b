package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.netlink.testing.Ip;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The exact objects of the "vxlan by hand" script (seeds/002: {@code setup_flannel_vxlan} and
 * {@code setup_fdb_arp} on node1) made through the library and read back with iproute2's JSON
 * output; and flannel's own per-lease objects on {@code flannel.1}.
 */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class VxlanScriptIT {

  private static final Ip4 VTEP_IP = Ip4.parse("10.245.1.3");
  private static final MacAddress DST_VXLAN_MAC = MacAddress.parse("82:34:e5:45:4f:7b");
  private static final Ip4 DST_VTEP_IP = Ip4.parse("10.245.1.4");
  private static final Ip4 DST_CTN_IP = Ip4.parse("10.250.2.2");

  @Test
  void setupFlannelVxlanAndFdbArp(NetNs node1) throws Exception {
    String ns = node1.name();
    try (NetlinkHandle h = NetlinkHandle.open()) {
      // eth=enp0s8 with vtep_ip: a veth stands in for the NIC (no dummy devices here).
      Link eth = h.linkAdd(Link.of("enp0s8", VethInfo.peer("enp0s8-peer")));
      h.addrAdd(Address.of(eth.index(), VTEP_IP, 24));
      h.linkSetUp(eth.index());

      // ip link add dev vxlan2 type vxlan id 2 local $vtep_ip dev $eth dstport 4789
      Link vx = h.linkAdd(Link.of("vxlan2",
          VxlanInfo.builder(2).withLocal(VTEP_IP).withVtepDevIndex(eth.index()).withPort(4789).build()));
      h.linkSetUp(vx.index());                                               // ip link set dev vxlan2 up
      h.addrAdd(Address.of(vx.index(), "10.250.1.0/16"));                   // ip addr add $ip_cidr dev vxlan2
      h.linkSetMtu(vx.index(), 1450);                                        // ip link set dev vxlan2 mtu 1450

      Link br0 = h.linkAdd(Link.of("br0", BridgeInfo.DEFAULT));             // ip link add dev br0 type bridge
      h.linkSetUp(br0.index());                                              // ip link set dev br0 up

      try (NetNs ctn = NetNs.create(ns + "-ctn")) {                          // ip netns add ctn
        try {
          // ip li add dev vhost mtu 1450 type veth peer name vctn mtu 1450
          Link vhost = h.linkAdd(Link.of(LinkAttrs.builder("vhost").withMtu(1450).build(),
              VethInfo.peer("vctn").withPeerMtu(1450)));
          Link vctnHere = h.linkByName("vctn");
          h.linkSetNsFd(vctnHere.index(), ctn);                              // ip li set dev vctn netns ctn
          h.linkSetUp(vhost.index());                                        // ip link set vhost up
          h.linkSetMaster(vhost.index(), br0.index());                       // ip link set vhost master br0
          try (NetlinkHandle c = NetlinkHandle.openIn(ctn)) {
            Link vctn = c.linkByName("vctn");
            c.linkSetUp(vctn.index());                                       // ip netns exec ctn ip link set dev vctn up
            c.addrAdd(Address.of(vctn.index(), "10.250.1.2/24"));            // ... ip addr add $ctn_ip dev vctn
            c.routeAdd(Route.builder(IpNet.parse("0.0.0.0/0"))               // ... ip route add default via $gateway
                .withGateway(Ip4.parse("10.250.1.1")).build());
          }
          h.addrAdd(Address.of(br0.index(), "10.250.1.1/24"));               // ip addr add $br_ip dev br0

          // bridge fdb add $dst_vxlan_mac dst $dst_vtep_ip self permanent dev vxlan2
          h.fdbAdd(FdbEntry.vxlanRemote(vx.index(), DST_VXLAN_MAC, DST_VTEP_IP));
          // ip neigh add $dst_ctn_ip lladdr $dst_vxlan_mac dev vxlan2 nud permanent
          h.neighAdd(Neighbor.permanent(vx.index(), DST_CTN_IP, DST_VXLAN_MAC));

          // ---- read everything back with iproute2
          JsonObject vxj = Ip.one(ns, "ip", "-d", "-j", "link", "show", "dev", "vxlan2");
          assertEquals(1450, vxj.get("mtu").getAsInt());
          assertTrue(flags(vxj).contains("UP"));
          JsonObject info = vxj.getAsJsonObject("linkinfo");
          assertEquals("vxlan", info.get("info_kind").getAsString());
          JsonObject data = info.getAsJsonObject("info_data");
          assertEquals(2, data.get("id").getAsInt());
          assertEquals("10.245.1.3", data.get("local").getAsString());
          assertEquals("enp0s8", data.get("link").getAsString());
          assertEquals(4789, data.get("port").getAsInt());
          assertTrue(data.get("learning").getAsBoolean());
          assertEquals(vx.attrs().hardwareAddr().toString(), vxj.get("address").getAsString());

          JsonObject vxAddr = Ip.one(ns, "ip", "-j", "-4", "addr", "show", "dev", "vxlan2")
              .getAsJsonArray("addr_info").get(0).getAsJsonObject();
          assertEquals("10.250.1.0", vxAddr.get("local").getAsString());
          assertEquals(16, vxAddr.get("prefixlen").getAsInt());

          JsonObject brj = Ip.one(ns, "ip", "-d", "-j", "link", "show", "dev", "br0");
          assertEquals("bridge", brj.getAsJsonObject("linkinfo").get("info_kind").getAsString());
          JsonObject brAddr = Ip.one(ns, "ip", "-j", "-4", "addr", "show", "dev", "br0")
              .getAsJsonArray("addr_info").get(0).getAsJsonObject();
          assertEquals("10.250.1.1", brAddr.get("local").getAsString());
          assertEquals(24, brAddr.get("prefixlen").getAsInt());

          JsonObject vhostj = Ip.one(ns, "ip", "-d", "-j", "link", "show", "dev", "vhost");
          assertEquals(1450, vhostj.get("mtu").getAsInt());
          assertEquals("br0", vhostj.get("master").getAsString());
          assertEquals("veth", vhostj.getAsJsonObject("linkinfo").get("info_kind").getAsString());
          assertTrue(Ip.json(ns, "ip", "link", "show").toString().contains("vhost"));
          assertFalse(Ip.json(ns, "ip", "link", "show").toString().contains("\"vctn\""), "vctn moved away");

          String ctnName = ctn.name();
          JsonObject vctnj = Ip.one(ctnName, "ip", "-j", "link", "show", "dev", "vctn");
          assertEquals(1450, vctnj.get("mtu").getAsInt());
          assertTrue(flags(vctnj).contains("UP"));
          JsonObject ctnAddr = Ip.one(ctnName, "ip", "-j", "-4", "addr", "show", "dev", "vctn")
              .getAsJsonArray("addr_info").get(0).getAsJsonObject();
          assertEquals("10.250.1.2", ctnAddr.get("local").getAsString());
          JsonArray ctnRoutes = Ip.json(ctnName, "ip", "-4", "route", "show", "default");
          assertEquals(1, ctnRoutes.size());
          assertEquals("10.250.1.1", ctnRoutes.get(0).getAsJsonObject().get("gateway").getAsString());
          assertEquals("vctn", ctnRoutes.get(0).getAsJsonObject().get("dev").getAsString());

          JsonArray fdb = Ip.json(ns, "bridge", "fdb", "show", "dev", "vxlan2");
          JsonObject entry = find(fdb, "mac", DST_VXLAN_MAC.toString());
          assertEquals("10.245.1.4", entry.get("dst").getAsString());
          assertEquals("permanent", entry.get("state").getAsString());
          assertTrue(entry.getAsJsonArray("flags").toString().contains("self"));

          JsonObject neigh = find(Ip.json(ns, "ip", "neigh", "show", "dev", "vxlan2"), "dst", "10.250.2.2");
          assertEquals(DST_VXLAN_MAC.toString(), neigh.get("lladdr").getAsString());
          assertEquals("[\"PERMANENT\"]", neigh.getAsJsonArray("state").toString());
        } finally {
          ctn.delete();
        }
      }
    }
  }

  /** flannel's vxlan device and per-lease objects (flannel-reference B2): device, ARP, FDB, onlink route. */
  @Test
  void flannelLeaseObjects(NetNs host) throws Exception {
    String ns = host.name();
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link eth0 = h.linkAdd(Link.of("eth0", VethInfo.peer("eth0-peer")));
      h.addrAdd(Address.of(eth0.index(), "192.0.2.11/24"));
      h.linkSetUp(eth0.index());
      MacAddress mac = MacAddress.parse("d2:65:d5:8b:00:6f");
      // flannel: Vxlan{VxlanId=1, VtepDevIndex=eth0, SrcAddr=192.0.2.11, Port=0, Learning=false, MTU, MAC}
      Link vx = h.linkAdd(Link.of(LinkAttrs.builder("flannel.1").withMtu(1450).withHardwareAddr(mac).build(),
          VxlanInfo.builder(1).withLocal(Ip4.parse("192.0.2.11")).withVtepDevIndex(eth0.index())
              .withLearning(false).build()));
      h.addrAdd(Address.of(vx.index(), "10.5.96.0/32"));
      h.linkSetUp(vx.index());

      MacAddress remote = MacAddress.parse("92:dc:75:59:97:4a");
      h.neighSet(Neighbor.permanent(vx.index(), Ip4.parse("10.5.60.0"), remote));
      h.fdbSet(FdbEntry.vxlanRemote(vx.index(), remote, Ip4.parse("192.0.2.12")));
      Route route = Route.builder(IpNet.parse("10.5.60.0/24")).withGateway(Ip4.parse("10.5.60.0"))
          .withLinkIndex(vx.index()).withOnlink(true).build();
      h.routeReplace(route);
      h.routeReplace(route); // idempotent, as flannel relies on

      // the library reads its own device back as flannel's ensureLink compares it
      VxlanInfo read = (VxlanInfo) h.linkByName("flannel.1").info();
      assertEquals(1, read.vni());
      assertEquals(8472, read.port(), "port 0 means the kernel default 8472");
      assertFalse(read.learning());
      assertEquals(Ip4.parse("192.0.2.11"), read.local());
      assertEquals(eth0.index(), read.vtepDevIndex());

      JsonObject vxj = Ip.one(ns, "ip", "-d", "-j", "link", "show", "dev", "flannel.1");
      assertEquals("d2:65:d5:8b:00:6f", vxj.get("address").getAsString());
      assertEquals(1450, vxj.get("mtu").getAsInt());
      JsonObject data = vxj.getAsJsonObject("linkinfo").getAsJsonObject("info_data");
      assertEquals(1, data.get("id").getAsInt());
      assertEquals(8472, data.get("port").getAsInt());
      assertFalse(data.get("learning").getAsBoolean());
      assertEquals("eth0", data.get("link").getAsString());

      // route:  10.5.60.0/24 via 10.5.60.0 dev flannel.1 onlink  (proto boot scope global onlink)
      JsonObject r = find(Ip.json(ns, "ip", "-d", "route", "show", "10.5.60.0/24"), "dst", "10.5.60.0/24");
      assertEquals("10.5.60.0", r.get("gateway").getAsString());
      assertEquals("flannel.1", r.get("dev").getAsString());
      assertEquals("boot", r.get("protocol").getAsString());
      assertEquals("global", r.get("scope").getAsString());
      assertEquals("[\"onlink\"]", r.getAsJsonArray("flags").toString());
      assertEquals(1, Ip.json(ns, "ip", "route", "show", "10.5.60.0/24").size());

      // neigh:  10.5.60.0 dev flannel.1 lladdr 92:dc:75:59:97:4a PERMANENT
      JsonObject n = find(Ip.json(ns, "ip", "neigh", "show", "dev", "flannel.1"), "dst", "10.5.60.0");
      assertEquals("92:dc:75:59:97:4a", n.get("lladdr").getAsString());
      assertEquals("[\"PERMANENT\"]", n.getAsJsonArray("state").toString());

      // fdb:    92:dc:75:59:97:4a dev flannel.1 dst 192.0.2.12 self permanent
      JsonObject f = find(Ip.json(ns, "bridge", "fdb", "show", "dev", "flannel.1"), "mac", "92:dc:75:59:97:4a");
      assertEquals("192.0.2.12", f.get("dst").getAsString());
      assertEquals("permanent", f.get("state").getAsString());

      // and the library's own listings agree
      assertTrue(h.routeList(Family.V4).contains(route));
      assertTrue(h.neighList(vx.index(), Family.V4).stream().anyMatch(
          x -> x.ip().equals(Ip4.parse("10.5.60.0")) && remote.equals(x.mac()) && x.isPermanent()));
      List<FdbEntry> fdb = h.fdbList(vx.index());
      assertTrue(fdb.stream().anyMatch(e -> e.mac().equals(remote) && Ip4.parse("192.0.2.12").equals(e.dst())
          && e.isSelf() && e.isPermanent()), fdb.toString());

      // lease removal: all three deletions succeed, and are gone for iproute2 too
      h.neighDel(Neighbor.permanent(vx.index(), Ip4.parse("10.5.60.0"), null));
      h.fdbDel(FdbEntry.vxlanRemote(vx.index(), remote, Ip4.parse("192.0.2.12")));
      h.routeDel(route);
      assertEquals(0, Ip.json(ns, "ip", "route", "show", "10.5.60.0/24").size());
      assertFalse(Ip.json(ns, "bridge", "fdb", "show", "dev", "flannel.1").toString().contains("92:dc:75:59:97:4a"));
      assertFalse(Ip.json(ns, "ip", "neigh", "show", "dev", "flannel.1").toString().contains("10.5.60.0"));
    }
  }

  static List<String> flags(JsonObject link) {
    List<String> out = new java.util.ArrayList<>();
    link.getAsJsonArray("flags").forEach(e -> out.add(e.getAsString()));
    return out;
  }

  static JsonObject find(JsonArray array, String key, String value) {
    for (var e : array) {
      JsonObject o = e.getAsJsonObject();
      if (o.has(key) && o.get(key).getAsString().equals(value)) {
        return o;
      }
    }
    throw new AssertionError("no object with " + key + "=" + value + " in " + array);
  }
}
