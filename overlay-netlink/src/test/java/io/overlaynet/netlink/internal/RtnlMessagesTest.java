package io.overlaynet.netlink.internal;

import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_CREATE;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_EXCL;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_REPLACE;
import static io.overlaynet.netlink.codec.RtnlConstants.RTM_DELROUTE;
import static io.overlaynet.netlink.codec.RtnlConstants.RTM_NEWADDR;
import static io.overlaynet.netlink.codec.RtnlConstants.RTM_NEWNEIGH;
import static io.overlaynet.netlink.codec.RtnlConstants.RTM_NEWROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.BridgeInfo;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.LinkAttrs;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.RouteType;
import io.overlaynet.netlink.Scope;
import io.overlaynet.netlink.VethInfo;
import io.overlaynet.netlink.VxlanInfo;
import io.overlaynet.netlink.codec.Codec;
import io.overlaynet.netlink.codec.NlMessage;
import io.overlaynet.netlink.codec.NlMessageWriter;
import io.overlaynet.netlink.codec.RtAttrs;
import io.overlaynet.netlink.codec.RtnlConstants;
import io.overlaynet.testing.Prerequisites;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Requests as iproute2 would send them (golden bytes) and value → message → value round trips. */
class RtnlMessagesTest {

  private static NlMessage one(Consumer<NlMessageWriter> enc) {
    ByteBuffer b = Codec.allocate(4096);
    enc.accept(new NlMessageWriter(b));
    List<NlMessage> msgs = NlMessage.split(b.flip());
    assertEquals(1, msgs.size());
    return msgs.get(0);
  }

  private static String hex(Consumer<NlMessageWriter> enc) {
    ByteBuffer b = Codec.allocate(4096);
    enc.accept(new NlMessageWriter(b));
    b.flip();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return HexFormat.of().formatHex(out);
  }

  @Test
  void flannelRouteGolden() {
    Prerequisites.require(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "a little-endian CPU",
        "run the golden-byte tests on x86_64 or aarch64");
    // ip route replace 10.5.2.0/24 via 10.5.2.0 dev flannel.1 onlink   (flannel.1 = index 5)
    Route r = Route.builder(IpNet.parse("10.5.2.0/24")).withGateway(Ip4.parse("10.5.2.0")).withLinkIndex(5)
        .withOnlink(true).build();
    assertEquals(Scope.UNIVERSE, r.scope());
    assertEquals("34000000" + "1800" + "0505" + "07000000" + "00000000"   // len 52, RTM_NEWROUTE, REQ|ACK|REPLACE|CREATE
        + "02" + "18" + "00" + "00" + "fe" + "03" + "00" + "01" + "04000000" // inet /24 main boot universe unicast onlink
        + "0800" + "0100" + "0a050200"                                        // RTA_DST 10.5.2.0
        + "0800" + "0500" + "0a050200"                                        // RTA_GATEWAY 10.5.2.0
        + "0800" + "0400" + "05000000",                                       // RTA_OIF 5
        hex(w -> RtnlMessages.route(w, 7, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r)));
  }

  @Test
  void flannelV6RouteNeighbourAndFdbGolden() {
    Prerequisites.require(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "a little-endian CPU",
        "run the golden-byte tests on x86_64 or aarch64");
    String vtep = "fd000005000000160000000000000000"; // fd00:5:0:16::, the peer's v6 network address
    // ip route replace fd00:5:0:16::/64 via fd00:5:0:16:: dev flannel-v6.1 onlink   (flannel-v6.1 = index 6)
    Route r = Route.builder(IpNet.parse("fd00:5:0:16::/64")).withGateway(Ip6.parse("fd00:5:0:16::"))
        .withLinkIndex(6).withOnlink(true).build();
    assertEquals("4c000000" + "1800" + "0505" + "07000000" + "00000000"   // len 76, RTM_NEWROUTE, REQ|ACK|REPLACE|CREATE
        + "0a" + "40" + "00" + "00" + "fe" + "03" + "00" + "01" + "04000000" // inet6 /64 main boot universe unicast onlink
        + "1400" + "0100" + vtep                                              // RTA_DST
        + "1400" + "0500" + vtep                                              // RTA_GATEWAY
        + "0800" + "0400" + "06000000",                                       // RTA_OIF 6
        hex(w -> RtnlMessages.route(w, 7, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r)));
    // ip neigh replace fd00:5:0:16:: lladdr 26:65:95:3b:8c:f9 dev flannel-v6.1 nud permanent (type unicast)
    MacAddress mac = MacAddress.parse("26:65:95:3b:8c:f9");
    Neighbor n = new Neighbor(6, Ip6.parse("fd00:5:0:16::"), mac, Neighbor.PERMANENT, 0, 1);
    assertEquals("3c000000" + "1c00" + "0505" + "07000000" + "00000000"   // len 60, RTM_NEWNEIGH
        + "0a" + "00" + "0000" + "06000000" + "8000" + "00" + "01"          // inet6, index 6, PERMANENT, unicast
        + "1400" + "0100" + vtep                                              // NDA_DST
        + "0a00" + "0200" + "2665953b8cf9" + "0000",                          // NDA_LLADDR (padded)
        hex(w -> RtnlMessages.neigh(w, 7, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, n)));
    // bridge fdb replace 26:65:95:3b:8c:f9 dev flannel-v6.1 dst 2001:db8::12 self permanent
    FdbEntry e = FdbEntry.vxlanRemote(6, mac, Ip6.parse("2001:db8::12"));
    assertEquals("3c000000" + "1c00" + "0505" + "07000000" + "00000000"
        + "07" + "00" + "0000" + "06000000" + "8000" + "02" + "00"          // AF_BRIDGE, PERMANENT, NTF_SELF
        + "0a00" + "0200" + "2665953b8cf9" + "0000"                           // NDA_LLADDR
        + "1400" + "0100" + "20010db8000000000000000000000012",              // NDA_DST 2001:db8::12
        hex(w -> RtnlMessages.fdb(w, 7, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, e)));
    assertEquals(r, RtnlMessages.decodeRoute(one(w -> RtnlMessages.route(w, 1, RTM_NEWROUTE, 0, r))));
    assertEquals(n, RtnlMessages.decodeNeighbor(one(w -> RtnlMessages.neigh(w, 1, RTM_NEWNEIGH, 0, n))));
    assertEquals(e, RtnlMessages.decodeFdb(one(w -> RtnlMessages.fdb(w, 1, RTM_NEWNEIGH, 0, e))));
  }

  @Test
  void flannelV6DeviceSendsLocal6AndTheChecksumAttributes() {
    Prerequisites.require(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "a little-endian CPU",
        "run the golden-byte tests on x86_64 or aarch64");
    // ip link add flannel-v6.1 type vxlan id 1 local 2001:db8::11 dev eth0 nolearning
    //     udpcsum noudp6zerocsumtx noudp6zerocsumrx
    VxlanInfo vx = VxlanInfo.builder(1).withLocal(Ip6.parse("2001:db8::11")).withVtepDevIndex(2).withLearning(false)
        .build();
    NlMessage m = one(w -> RtnlMessages.linkAdd(w, 1, NLM_F_CREATE | NLM_F_EXCL, Link.of("flannel-v6.1", vx)));
    ByteBuffer p = m.payload();
    io.overlaynet.netlink.codec.IfInfoMsg.decode(p);
    RtAttrs data = RtAttrs.decode(p, p.remaining()).nested(RtnlConstants.IFLA_LINKINFO)
        .nested(RtnlConstants.IFLA_INFO_DATA);
    assertEquals("20010db8000000000000000000000011", HexFormat.of().formatHex(data.bytes(RtnlConstants.IFLA_VXLAN_LOCAL6)));
    assertEquals(null, data.bytes(RtnlConstants.IFLA_VXLAN_LOCAL), "no IPv4 local on a v6 device");
    assertEquals("01", HexFormat.of().formatHex(data.bytes(RtnlConstants.IFLA_VXLAN_UDP_CSUM)));
    assertEquals("00", HexFormat.of().formatHex(data.bytes(RtnlConstants.IFLA_VXLAN_UDP_ZERO_CSUM6_TX)));
    assertEquals("00", HexFormat.of().formatHex(data.bytes(RtnlConstants.IFLA_VXLAN_UDP_ZERO_CSUM6_RX)));
    assertEquals("00", HexFormat.of().formatHex(data.bytes(RtnlConstants.IFLA_VXLAN_LEARNING)));
    assertEquals(vx, RtnlMessages.decodeLink(m).info());
    VxlanInfo zero = vx.toBuilder().withUdpCsum(false).withUdp6ZeroCsumTx(true).withUdp6ZeroCsumRx(true).build();
    assertEquals(zero, RtnlMessages.decodeLink(one(w -> RtnlMessages.linkAdd(w, 1, 0, Link.of("v6z", zero)))).info());
  }

  @Test
  void routeDeleteMatchesAnyScopeAndProtocol() {
    Route r = Route.builder(IpNet.parse("10.5.2.0/24")).withLinkIndex(5).build();
    NlMessage m = one(w -> RtnlMessages.route(w, 1, RTM_DELROUTE, 0, r));
    ByteBuffer p = m.payload();
    io.overlaynet.netlink.codec.RtMsg rtm = io.overlaynet.netlink.codec.RtMsg.decode(p);
    assertEquals(255, rtm.scope());
    assertEquals(0, rtm.protocol());
  }

  @Test
  void routesRoundTrip() {
    List<Route> routes = List.of(
        Route.builder(IpNet.parse("10.5.2.0/24")).withGateway(Ip4.parse("10.5.2.0")).withLinkIndex(5)
            .withOnlink(true).build(),
        Route.builder(IpNet.parse("0.0.0.0/0")).withGateway(Ip4.parse("192.0.2.1")).build(),
        Route.builder(IpNet.parse("10.9.0.0/16")).withType(RouteType.BLACKHOLE).build(),
        Route.builder(IpNet.parse("10.7.0.0/16")).withLinkIndex(3).withTable(1000).withPriority(20)
            .withPrefSrc(Ip4.parse("10.7.0.1")).build(),
        Route.builder(IpNet.parse("fd00:99::/64")).withGateway(Ip6.parse("fd00::1")).withLinkIndex(2).build());
    for (Route r : routes) {
      assertEquals(r, RtnlMessages.decodeRoute(one(w -> RtnlMessages.route(w, 1, RTM_NEWROUTE, 0, r))));
    }
  }

  @Test
  void linksRoundTrip() {
    VxlanInfo vx = VxlanInfo.builder(1).withLocal(Ip4.parse("192.0.2.11")).withVtepDevIndex(2).withPort(8472)
        .withLearning(false).withGbp(true).withTtl(5).withAgeing(300).build();
    Link spec = Link.of(LinkAttrs.builder("flannel.1").withMtu(1450)
        .withHardwareAddr(MacAddress.parse("d2:65:d5:8b:00:6f")).build(), vx);
    Link read = RtnlMessages.decodeLink(one(w -> RtnlMessages.linkAdd(w, 1, NLM_F_CREATE | NLM_F_EXCL, spec)));
    assertEquals(vx, read.info());
    assertEquals("flannel.1", read.name());
    assertEquals(1450, read.attrs().mtu());
    assertEquals(spec.attrs().hardwareAddr(), read.attrs().hardwareAddr());

    VxlanInfo v6 = VxlanInfo.builder(7).withLocal(Ip6.parse("fd00::11")).withGroup(Ip6.parse("ff05::100")).build();
    assertEquals(v6, RtnlMessages.decodeLink(one(w -> RtnlMessages.linkAdd(w, 1, 0, Link.of("v6", v6)))).info());
    assertEquals(BridgeInfo.DEFAULT,
        RtnlMessages.decodeLink(one(w -> RtnlMessages.linkAdd(w, 1, 0, Link.of("br0", BridgeInfo.DEFAULT)))).info());
  }

  @Test
  void vethPeerIsANestedIfinfomsg() {
    Link veth = Link.of("vhost", VethInfo.peer("vctn").withPeerMtu(1450));
    NlMessage m = one(w -> RtnlMessages.linkAdd(w, 1, 0, veth));
    ByteBuffer p = m.payload();
    io.overlaynet.netlink.codec.IfInfoMsg.decode(p);
    RtAttrs data = RtAttrs.decode(p, p.remaining()).nested(18).nested(2);
    ByteBuffer peer = ByteBuffer.wrap(data.bytes(1)).order(ByteOrder.nativeOrder());
    io.overlaynet.netlink.codec.IfInfoMsg.decode(peer);
    RtAttrs peerAttrs = RtAttrs.decode(peer, peer.remaining());
    assertEquals("vctn", peerAttrs.string(3, null));
    assertEquals(1450, peerAttrs.u32(4, 0));
  }

  @Test
  void addressesNeighboursFdbRoundTrip() {
    Address a = Address.of(4, "10.5.7.1/24").withBroadcast(Ip4.parse("10.5.7.255")).withLabel("cbr0");
    assertEquals(a, RtnlMessages.decodeAddress(one(w -> RtnlMessages.addr(w, 1, RTM_NEWADDR, 0, a))));
    Address p2p = Address.of(4, "10.5.96.0/32").withPeer(Ip4.parse("10.5.96.1"));
    assertEquals(p2p, RtnlMessages.decodeAddress(one(w -> RtnlMessages.addr(w, 1, RTM_NEWADDR, 0, p2p))));
    Address v6 = Address.of(4, "fd00::1/64").withFlags(Address.NODAD | 0x100);
    assertEquals(v6, RtnlMessages.decodeAddress(one(w -> RtnlMessages.addr(w, 1, RTM_NEWADDR, 0, v6))));

    Neighbor n = Neighbor.permanent(3, Ip4.parse("10.5.60.0"), MacAddress.parse("92:dc:75:59:97:4a"));
    assertEquals(n, RtnlMessages.decodeNeighbor(one(w -> RtnlMessages.neigh(w, 1, RTM_NEWNEIGH, 0, n))));

    FdbEntry e = new FdbEntry(3, MacAddress.parse("92:dc:75:59:97:4a"), Ip4.parse("192.0.2.12"), Neighbor.PERMANENT,
        FdbEntry.SELF, 0, 10, 42, 4789);
    assertEquals(e, RtnlMessages.decodeFdb(one(w -> RtnlMessages.fdb(w, 1, RTM_NEWNEIGH, 0, e))));
  }
}
