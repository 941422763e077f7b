package io.overlaynet.netlink.internal;

import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_ACK;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_DUMP;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_REQUEST;
import static io.overlaynet.netlink.codec.RtnlConstants.*;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.BridgeInfo;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.GenericLinkInfo;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.LinkAttrs;
import io.overlaynet.netlink.LinkInfo;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.RouteType;
import io.overlaynet.netlink.Scope;
import io.overlaynet.netlink.VethInfo;
import io.overlaynet.netlink.VxlanInfo;
import io.overlaynet.netlink.codec.IfAddrMsg;
import io.overlaynet.netlink.codec.IfInfoMsg;
import io.overlaynet.netlink.codec.NdMsg;
import io.overlaynet.netlink.codec.NlMessage;
import io.overlaynet.netlink.codec.NlMessageWriter;
import io.overlaynet.netlink.codec.RtAttr;
import io.overlaynet.netlink.codec.RtAttrs;
import io.overlaynet.netlink.codec.RtMsg;
import java.nio.ByteBuffer;

/**
 * Translates the public value types to rtnetlink requests and replies back to values. Pure Java
 * (no native calls), so it is unit-tested without privileges. Internal usage only.
 *
 * <p>Request encoders write one complete message with {@code NLM_F_REQUEST} (and
 * {@code NLM_F_ACK} unless it is a dump) plus the given extra flags.
 */
public final class RtnlMessages {

  private static final int IFF_UP = 0x1;

  private RtnlMessages() {}

  // ---------------------------------------------------------------- links

  /** {@code ip link add}: RTM_NEWLINK with the link's attributes and IFLA_LINKINFO. */
  public static void linkAdd(NlMessageWriter w, int seq, int flags, Link link) {
    LinkAttrs a = link.attrs();
    w.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | flags, seq);
    new IfInfoMsg(AF_UNSPEC, 0, 0, a.flags() & IFF_UP, a.isUp() ? IFF_UP : 0).encodeTo(w.buffer());
    w.attr(RtAttr.ofString(IFLA_IFNAME, a.name()));
    if (a.mtu() > 0) {
      w.attr(RtAttr.ofU32(IFLA_MTU, a.mtu()));
    }
    if (a.hardwareAddr() != null) {
      w.attr(RtAttr.of(IFLA_ADDRESS, a.hardwareAddr().toBytes()));
    }
    if (a.txQueueLen() >= 0) {
      w.attr(RtAttr.ofU32(IFLA_TXQLEN, a.txQueueLen()));
    }
    if (a.masterIndex() > 0) {
      w.attr(RtAttr.ofU32(IFLA_MASTER, a.masterIndex()));
    }
    if (a.parentIndex() > 0) {
      w.attr(RtAttr.ofU32(IFLA_LINK, a.parentIndex()));
    }
    int info = w.beginNested(IFLA_LINKINFO);
    w.attr(RtAttr.ofString(IFLA_INFO_KIND, link.kind()));
    LinkInfo li = link.info();
    if (li instanceof VxlanInfo vx) {
      int data = w.beginNested(IFLA_INFO_DATA);
      encodeVxlan(w, vx);
      w.endNested(data);
    } else if (li instanceof VethInfo veth && veth.peerName() != null) {
      int data = w.beginNested(IFLA_INFO_DATA);
      int peer = w.beginNested(VETH_INFO_PEER);
      // The peer is described by a full ifinfomsg followed by its own attributes.
      new IfInfoMsg(AF_UNSPEC, 0, 0, 0, 0).encodeTo(w.buffer());
      w.attr(RtAttr.ofString(IFLA_IFNAME, veth.peerName()));
      if (veth.peerMtu() > 0) {
        w.attr(RtAttr.ofU32(IFLA_MTU, veth.peerMtu()));
      }
      if (veth.peerHardwareAddr() != null) {
        w.attr(RtAttr.of(IFLA_ADDRESS, veth.peerHardwareAddr().toBytes()));
      }
      if (veth.peerNamespace() != null) {
        w.attr(RtAttr.ofU32(IFLA_NET_NS_FD, veth.peerNamespace().fd()));
      }
      w.endNested(peer);
      w.endNested(data);
    }
    w.endNested(info);
    w.end();
  }

  private static void encodeVxlan(NlMessageWriter w, VxlanInfo vx) {
    w.attr(RtAttr.ofU32(IFLA_VXLAN_ID, vx.vni()));
    if (vx.vtepDevIndex() > 0) {
      w.attr(RtAttr.ofU32(IFLA_VXLAN_LINK, vx.vtepDevIndex()));
    }
    if (vx.local() != null) {
      w.attr(RtAttr.of(vx.local() instanceof Ip4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, vx.local().toBytes()));
    }
    if (vx.group() != null) {
      w.attr(RtAttr.of(vx.group() instanceof Ip4 ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, vx.group().toBytes()));
    }
    w.attr(RtAttr.ofU8(IFLA_VXLAN_TTL, vx.ttl()));
    // Always explicit: an absent IFLA_VXLAN_LEARNING means "learning on" for a new device.
    w.attr(RtAttr.ofU8(IFLA_VXLAN_LEARNING, vx.learning() ? 1 : 0));
    w.attr(RtAttr.ofU8(IFLA_VXLAN_PROXY, vx.proxy() ? 1 : 0));
    w.attr(RtAttr.ofU8(IFLA_VXLAN_L2MISS, vx.l2miss() ? 1 : 0));
    w.attr(RtAttr.ofU8(IFLA_VXLAN_L3MISS, vx.l3miss() ? 1 : 0));
    if (vx.ageing() >= 0) {
      w.attr(RtAttr.ofU32(IFLA_VXLAN_AGEING, vx.ageing()));
    }
    if (vx.port() > 0) {
      w.attr(RtAttr.ofBe16(IFLA_VXLAN_PORT, vx.port()));
    }
    // Explicit, like learning: the golden udpcsum noudp6zerocsumtx noudp6zerocsumrx whatever the kernel's defaults.
    w.attr(RtAttr.ofU8(IFLA_VXLAN_UDP_CSUM, vx.udpCsum() ? 1 : 0));
    w.attr(RtAttr.ofU8(IFLA_VXLAN_UDP_ZERO_CSUM6_TX, vx.udp6ZeroCsumTx() ? 1 : 0));
    w.attr(RtAttr.ofU8(IFLA_VXLAN_UDP_ZERO_CSUM6_RX, vx.udp6ZeroCsumRx() ? 1 : 0));
    if (vx.gbp()) {
      w.attr(RtAttr.ofFlag(IFLA_VXLAN_GBP));
    }
  }

  /** {@code ip link show dev NAME}: RTM_GETLINK with IFLA_IFNAME. */
  public static void linkGetByName(NlMessageWriter w, int seq, String name) {
    w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    new IfInfoMsg(AF_UNSPEC, 0, 0, 0, 0).encodeTo(w.buffer());
    w.attr(RtAttr.ofString(IFLA_IFNAME, name));
    w.end();
  }

  /** RTM_GETLINK by index. */
  public static void linkGetByIndex(NlMessageWriter w, int seq, int index) {
    w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    new IfInfoMsg(AF_UNSPEC, 0, index, 0, 0).encodeTo(w.buffer());
    w.end();
  }

  /** {@code ip link show}: a RTM_GETLINK dump. */
  public static void linkDump(NlMessageWriter w, int seq) {
    w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq);
    new IfInfoMsg(AF_UNSPEC, 0, 0, 0, 0).encodeTo(w.buffer());
    w.end();
  }

  /** {@code ip link set}: RTM_SETLINK on {@code index} with flag changes and attributes. */
  public static void linkSet(NlMessageWriter w, int seq, int index, int ifFlags, int change, RtAttr... attrs) {
    w.begin(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    new IfInfoMsg(AF_UNSPEC, 0, index, ifFlags, change).encodeTo(w.buffer());
    for (RtAttr a : attrs) {
      w.attr(a);
    }
    w.end();
  }

  /** {@code ip link del}: RTM_DELLINK by index. */
  public static void linkDel(NlMessageWriter w, int seq, int index) {
    w.begin(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    new IfInfoMsg(AF_UNSPEC, 0, index, 0, 0).encodeTo(w.buffer());
    w.end();
  }

  /** Decodes a RTM_NEWLINK / RTM_DELLINK message. */
  public static Link decodeLink(NlMessage m) {
    ByteBuffer p = m.payload();
    IfInfoMsg ifi = IfInfoMsg.decode(p);
    RtAttrs attrs = RtAttrs.decode(p, p.remaining());
    byte[] mac = attrs.bytes(IFLA_ADDRESS);
    LinkAttrs a = LinkAttrs.builder(attrs.string(IFLA_IFNAME, "?"))
        .withIndex(ifi.index())
        .withFlags(ifi.flags())
        .withMtu(attrs.u32(IFLA_MTU, 0))
        .withHardwareAddr(mac != null && mac.length == 6 ? MacAddress.fromBytes(mac) : null)
        .withMasterIndex(attrs.u32(IFLA_MASTER, 0))
        .withParentIndex(attrs.u32(IFLA_LINK, 0))
        .withOperState(attrs.u8(IFLA_OPERSTATE, 0))
        .withTxQueueLen(attrs.u32(IFLA_TXQLEN, -1))
        .build();
    RtAttrs linkInfo = attrs.nested(IFLA_LINKINFO);
    String kind = linkInfo.string(IFLA_INFO_KIND, "");
    LinkInfo info = switch (kind) {
      case "vxlan" -> decodeVxlan(linkInfo.nested(IFLA_INFO_DATA));
      case "bridge" -> BridgeInfo.DEFAULT;
      case "veth" -> VethInfo.READ;
      case "" -> GenericLinkInfo.NONE;
      default -> new GenericLinkInfo(kind);
    };
    return new Link(a, info);
  }

  private static VxlanInfo decodeVxlan(RtAttrs d) {
    VxlanInfo.Builder b = VxlanInfo.builder(d.u32(IFLA_VXLAN_ID, 0))
        .withVtepDevIndex(d.u32(IFLA_VXLAN_LINK, 0))
        .withTtl(d.u8(IFLA_VXLAN_TTL, 0))
        .withLearning(d.u8(IFLA_VXLAN_LEARNING, 1) != 0)
        .withProxy(d.u8(IFLA_VXLAN_PROXY, 0) != 0)
        .withL2miss(d.u8(IFLA_VXLAN_L2MISS, 0) != 0)
        .withL3miss(d.u8(IFLA_VXLAN_L3MISS, 0) != 0)
        .withAgeing(d.u32(IFLA_VXLAN_AGEING, -1))
        .withGbp(d.has(IFLA_VXLAN_GBP))
        .withUdpCsum(d.u8(IFLA_VXLAN_UDP_CSUM, 1) != 0)
        .withUdp6ZeroCsumTx(d.u8(IFLA_VXLAN_UDP_ZERO_CSUM6_TX, 0) != 0)
        .withUdp6ZeroCsumRx(d.u8(IFLA_VXLAN_UDP_ZERO_CSUM6_RX, 0) != 0);
    RtAttr port = d.get(IFLA_VXLAN_PORT);
    if (port != null) {
      b.withPort(port.be16());
    }
    IpAddress local = ip(d.bytes(IFLA_VXLAN_LOCAL), d.bytes(IFLA_VXLAN_LOCAL6));
    if (local != null) {
      b.withLocal(local);
    }
    IpAddress group = ip(d.bytes(IFLA_VXLAN_GROUP), d.bytes(IFLA_VXLAN_GROUP6));
    if (group != null) {
      b.withGroup(group);
    }
    return b.build();
  }

  private static IpAddress ip(byte[] v4, byte[] v6) {
    if (v4 != null && v4.length == 4) {
      return Ip4.fromBytes(v4);
    }
    if (v6 != null && v6.length == 16) {
      return Ip6.fromBytes(v6);
    }
    return null;
  }

  private static IpAddress ip(byte[] bytes) {
    return bytes != null && (bytes.length == 4 || bytes.length == 16) ? IpAddress.fromBytes(bytes) : null;
  }

  private static int af(IpAddress ip) {
    return ip instanceof Ip4 ? AF_INET : AF_INET6;
  }

  // ---------------------------------------------------------------- addresses

  /** {@code ip addr add/replace/del}: RTM_NEWADDR or RTM_DELADDR. */
  public static void addr(NlMessageWriter w, int seq, int type, int flags, Address a) {
    w.begin(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq);
    new IfAddrMsg(af(a.ip()), a.prefixLength(), a.flags() & 0xff, a.scope().value(), a.linkIndex()).encodeTo(w.buffer());
    byte[] local = a.ip().toBytes();
    // As iproute2: IFA_LOCAL is our address, IFA_ADDRESS the peer (or our address again).
    w.attr(RtAttr.of(IFA_LOCAL, local));
    w.attr(RtAttr.of(IFA_ADDRESS, a.peer() != null ? a.peer().toBytes() : local));
    if (a.broadcast() != null) {
      w.attr(RtAttr.of(IFA_BROADCAST, a.broadcast().toBytes()));
    }
    if (a.label() != null) {
      w.attr(RtAttr.ofString(IFA_LABEL, a.label()));
    }
    if ((a.flags() & ~0xff) != 0) {
      w.attr(RtAttr.ofU32(IFA_FLAGS, a.flags()));
    }
    w.end();
  }

  /** {@code ip addr show}: a RTM_GETADDR dump. */
  public static void addrDump(NlMessageWriter w, int seq, Family family) {
    w.begin(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq);
    new IfAddrMsg(family.value(), 0, 0, 0, 0).encodeTo(w.buffer());
    w.end();
  }

  /** Decodes a RTM_NEWADDR / RTM_DELADDR message, or null for a non-IP family. */
  public static Address decodeAddress(NlMessage m) {
    ByteBuffer p = m.payload();
    IfAddrMsg ifa = IfAddrMsg.decode(p);
    if (ifa.family() != AF_INET && ifa.family() != AF_INET6) {
      return null;
    }
    RtAttrs attrs = RtAttrs.decode(p, p.remaining());
    IpAddress local = ip(attrs.bytes(IFA_LOCAL));
    IpAddress address = ip(attrs.bytes(IFA_ADDRESS));
    IpAddress ip = local != null ? local : address;
    if (ip == null) {
      return null;
    }
    IpAddress peer = local != null && address != null && !address.equals(local) ? address : null;
    int flags = attrs.u32(IFA_FLAGS, ifa.flags());
    return new Address(ip, ifa.prefixLength(), ifa.index(), Scope.fromValue(ifa.scope()), flags,
        attrs.string(IFA_LABEL, null), peer, ip(attrs.bytes(IFA_BROADCAST)));
  }

  // ---------------------------------------------------------------- routes

  /** {@code ip route add/replace/del}: RTM_NEWROUTE or RTM_DELROUTE. */
  public static void route(NlMessageWriter w, int seq, int type, int flags, Route r) {
    w.begin(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq);
    boolean del = type == RTM_DELROUTE;
    int table = r.table();
    // A delete with scope "nowhere" matches the route whatever its scope, as iproute2 does.
    int scope = del ? RT_SCOPE_NOWHERE : r.scope().value();
    new RtMsg(r.family().value(), r.dst().prefixLength(), 0, 0, table < 256 ? table : 0,
        del ? 0 : r.protocol(), scope, r.type().value(), r.flags()).encodeTo(w.buffer());
    if (r.dst().prefixLength() > 0) {
      w.attr(RtAttr.of(RTA_DST, r.dst().address().toBytes()));
    }
    if (r.prefSrc() != null) {
      w.attr(RtAttr.of(RTA_PREFSRC, r.prefSrc().toBytes()));
    }
    if (r.gateway() != null) {
      w.attr(RtAttr.of(RTA_GATEWAY, r.gateway().toBytes()));
    }
    if (r.linkIndex() > 0) {
      w.attr(RtAttr.ofU32(RTA_OIF, r.linkIndex()));
    }
    if (r.priority() > 0) {
      w.attr(RtAttr.ofU32(RTA_PRIORITY, r.priority()));
    }
    if (table >= 256) {
      w.attr(RtAttr.ofU32(RTA_TABLE, table));
    }
    w.end();
  }

  /** {@code ip route show table all}: a RTM_GETROUTE dump (filtered by the caller). */
  public static void routeDump(NlMessageWriter w, int seq, Family family) {
    w.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq);
    new RtMsg(family.value(), 0, 0, 0, 0, 0, 0, 0, 0).encodeTo(w.buffer());
    w.end();
  }

  /** {@code ip route get ADDRESS}: RTM_GETROUTE for one destination. */
  public static void routeGet(NlMessageWriter w, int seq, IpAddress dst) {
    w.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, seq);
    new RtMsg(af(dst), dst.bitLength(), 0, 0, 0, 0, 0, 0, 0).encodeTo(w.buffer());
    w.attr(RtAttr.of(RTA_DST, dst.toBytes()));
    w.end();
  }

  /** Decodes a RTM_NEWROUTE / RTM_DELROUTE message, or null for a non-IP family. */
  public static Route decodeRoute(NlMessage m) {
    ByteBuffer p = m.payload();
    RtMsg rtm = RtMsg.decode(p);
    if (rtm.family() != AF_INET && rtm.family() != AF_INET6) {
      return null;
    }
    RtAttrs attrs = RtAttrs.decode(p, p.remaining());
    IpAddress dstIp = ip(attrs.bytes(RTA_DST));
    if (dstIp == null) {
      dstIp = rtm.family() == AF_INET ? Ip4.ANY : Ip6.ANY;
    }
    int table = attrs.u32(RTA_TABLE, rtm.table());
    Route.Builder b = Route.builder(IpNet.of(dstIp, rtm.dstLength()))
        .withGateway(ip(attrs.bytes(RTA_GATEWAY)))
        .withLinkIndex(attrs.u32(RTA_OIF, 0))
        .withPrefSrc(ip(attrs.bytes(RTA_PREFSRC)))
        .withScope(Scope.fromValue(rtm.scope()))
        .withTable(table > 0 ? table : RT_TABLE_MAIN)
        .withProtocol(rtm.protocol())
        .withType(RouteType.fromValue(rtm.type()))
        .withFlags(rtm.flags())
        .withPriority(attrs.u32(RTA_PRIORITY, 0));
    return b.build();
  }

  // ---------------------------------------------------------------- neighbours and FDB

  /** {@code ip neigh replace/add/del}: RTM_NEWNEIGH or RTM_DELNEIGH. */
  public static void neigh(NlMessageWriter w, int seq, int type, int flags, Neighbor n) {
    w.begin(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq);
    new NdMsg(af(n.ip()), n.linkIndex(), n.state(), n.flags(), n.type()).encodeTo(w.buffer());
    w.attr(RtAttr.of(NDA_DST, n.ip().toBytes()));
    if (n.mac() != null) {
      w.attr(RtAttr.of(NDA_LLADDR, n.mac().toBytes()));
    }
    w.end();
  }

  /** {@code ip neigh show} / {@code bridge fdb show}: a RTM_GETNEIGH dump of family {@code af}. */
  public static void neighDump(NlMessageWriter w, int seq, int af) {
    w.begin(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, seq);
    new NdMsg(af, 0, 0, 0, 0).encodeTo(w.buffer());
    w.end();
  }

  /** Decodes a neighbour message of family INET/INET6, or null for other families. */
  public static Neighbor decodeNeighbor(NlMessage m) {
    ByteBuffer p = m.payload();
    NdMsg nd = NdMsg.decode(p);
    if (nd.family() != AF_INET && nd.family() != AF_INET6) {
      return null;
    }
    RtAttrs attrs = RtAttrs.decode(p, p.remaining());
    IpAddress ip = ip(attrs.bytes(NDA_DST));
    if (ip == null) {
      return null;
    }
    byte[] mac = attrs.bytes(NDA_LLADDR);
    return new Neighbor(nd.index(), ip, mac != null && mac.length == 6 ? MacAddress.fromBytes(mac) : null,
        nd.state(), nd.flags(), nd.type());
  }

  /** {@code bridge fdb replace/add/del}: RTM_NEWNEIGH / RTM_DELNEIGH of family AF_BRIDGE. */
  public static void fdb(NlMessageWriter w, int seq, int type, int flags, FdbEntry e) {
    w.begin(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq);
    new NdMsg(AF_BRIDGE, e.linkIndex(), e.state(), e.flags(), 0).encodeTo(w.buffer());
    w.attr(RtAttr.of(NDA_LLADDR, e.mac().toBytes()));
    if (e.dst() != null) {
      w.attr(RtAttr.of(NDA_DST, e.dst().toBytes()));
    }
    if (e.vlan() > 0) {
      w.attr(RtAttr.ofU16(NDA_VLAN, e.vlan()));
    }
    if (e.port() > 0) {
      w.attr(RtAttr.ofBe16(NDA_PORT, e.port()));
    }
    if (e.vni() > 0) {
      w.attr(RtAttr.ofU32(NDA_VNI, e.vni()));
    }
    if (e.masterIndex() > 0) {
      w.attr(RtAttr.ofU32(NDA_MASTER, e.masterIndex()));
    }
    w.end();
  }

  /** Decodes an AF_BRIDGE neighbour message, or null for other families. */
  public static FdbEntry decodeFdb(NlMessage m) {
    ByteBuffer p = m.payload();
    NdMsg nd = NdMsg.decode(p);
    if (nd.family() != AF_BRIDGE) {
      return null;
    }
    RtAttrs attrs = RtAttrs.decode(p, p.remaining());
    byte[] mac = attrs.bytes(NDA_LLADDR);
    if (mac == null || mac.length != 6) {
      return null;
    }
    RtAttr vlan = attrs.get(NDA_VLAN);
    RtAttr port = attrs.get(NDA_PORT);
    return new FdbEntry(nd.index(), MacAddress.fromBytes(mac), ip(attrs.bytes(NDA_DST)), nd.state(), nd.flags(),
        attrs.u32(NDA_MASTER, 0), vlan == null ? 0 : vlan.u16(), attrs.u32(NDA_VNI, 0),
        port == null ? 0 : port.be16());
  }
}
