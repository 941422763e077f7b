package io.overlaynet.netlink.internal;

import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_APPEND;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_CREATE;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_EXCL;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_REPLACE;
import static io.overlaynet.netlink.codec.RtnlConstants.*;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.Netlink;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.Subscription;
import io.overlaynet.netlink.Sysctl;
import io.overlaynet.netlink.codec.NlMessage;
import io.overlaynet.netlink.codec.RtAttr;
import java.util.List;
import java.util.function.Function;

/**
 * The {@link NetlinkHandle} over a {@link NetlinkSocket} and a {@link Transport}. Internal usage
 * only: obtain instances with {@link NetlinkHandle#open()} / {@link NetlinkHandle#openIn(NetNs)}.
 */
public final class RtnlHandle implements NetlinkHandle {

  private static final int IFF_UP = 0x1;

  private final NetNs ns;
  private final Transport transport;

  private RtnlHandle(NetNs ns, Transport transport) {
    this.ns = ns;
    this.transport = transport;
  }

  /**
   * Opens a handle; with a namespace, the socket is created on a thread inside it.
   *
   * @throws NetlinkException if the socket cannot be opened
   */
  public static RtnlHandle open(NetNs ns) throws NetlinkException {
    Netlink.ensureAvailability();
    NetlinkSocket socket = ns == null ? NetlinkSocket.open(0) : ns.run(() -> NetlinkSocket.open(0));
    return new RtnlHandle(ns, new Transport(socket, Transport.DEFAULT_TIMEOUT_MILLIS));
  }

  @Override
  public NetNs netNs() {
    return ns;
  }

  @Override
  public Sysctl sysctl() {
    return ns == null ? Sysctl.current() : Sysctl.in(ns);
  }

  // ------------------------------------------------------------------ links

  @Override
  public Link linkAdd(Link link) throws NetlinkException {
    transport.request("ip link add " + link.name() + " type " + link.kind(),
        (w, seq) -> RtnlMessages.linkAdd(w, seq, NLM_F_CREATE | NLM_F_EXCL, link), m -> null);
    return linkByName(link.name());
  }

  @Override
  public Link linkByName(String name) throws NetlinkException {
    List<Link> links = transport.request("ip link show dev " + name,
        (w, seq) -> RtnlMessages.linkGetByName(w, seq, name), linkDecoder());
    return single(links, "ip link show dev " + name);
  }

  @Override
  public Link linkByIndex(int index) throws NetlinkException {
    List<Link> links = transport.request("ip link show (index " + index + ")",
        (w, seq) -> RtnlMessages.linkGetByIndex(w, seq, index), linkDecoder());
    return single(links, "ip link show (index " + index + ")");
  }

  private static <T> T single(List<T> list, String op) throws NetlinkException {
    if (list.isEmpty()) {
      throw NativeErrors.newException(op, NativeErrors.ENODEV, "no reply");
    }
    return list.get(0);
  }

  private static Function<NlMessage, Link> linkDecoder() {
    return m -> m.header().type() == RTM_NEWLINK ? RtnlMessages.decodeLink(m) : null;
  }

  @Override
  public List<Link> linkList() throws NetlinkException {
    return transport.dump("ip link show", (w, seq) -> RtnlMessages.linkDump(w, seq), linkDecoder());
  }

  @Override
  public void linkSetUp(int index) throws NetlinkException {
    linkSet("ip link set up (index " + index + ")", index, IFF_UP, IFF_UP);
  }

  @Override
  public void linkSetDown(int index) throws NetlinkException {
    linkSet("ip link set down (index " + index + ")", index, 0, IFF_UP);
  }

  @Override
  public void linkSetMtu(int index, int mtu) throws NetlinkException {
    linkSet("ip link set mtu " + mtu + " (index " + index + ")", index, 0, 0, RtAttr.ofU32(IFLA_MTU, mtu));
  }

  @Override
  public void linkSetHardwareAddr(int index, MacAddress mac) throws NetlinkException {
    linkSet("ip link set address " + mac + " (index " + index + ")", index, 0, 0,
        RtAttr.of(IFLA_ADDRESS, mac.toBytes()));
  }

  @Override
  public void linkSetMaster(int index, int masterIndex) throws NetlinkException {
    linkSet("ip link set master (index " + masterIndex + ") (index " + index + ")", index, 0, 0,
        RtAttr.ofU32(IFLA_MASTER, masterIndex));
  }

  @Override
  public void linkSetName(int index, String name) throws NetlinkException {
    linkSet("ip link set name " + name + " (index " + index + ")", index, 0, 0, RtAttr.ofString(IFLA_IFNAME, name));
  }

  @Override
  public void linkSetNsFd(int index, NetNs target) throws NetlinkException {
    linkSet("ip link set netns " + target + " (index " + index + ")", index, 0, 0,
        RtAttr.ofU32(IFLA_NET_NS_FD, target.fd()));
  }

  private void linkSet(String op, int index, int flags, int change, RtAttr... attrs) throws NetlinkException {
    transport.request(op, (w, seq) -> RtnlMessages.linkSet(w, seq, index, flags, change, attrs), m -> null);
  }

  @Override
  public void linkDel(int index) throws NetlinkException {
    transport.request("ip link del (index " + index + ")", (w, seq) -> RtnlMessages.linkDel(w, seq, index), m -> null);
  }

  // ------------------------------------------------------------------ addresses

  @Override
  public void addrAdd(Address a) throws NetlinkException {
    addr("ip addr add " + a.cidr() + " (index " + a.linkIndex() + ")", RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, a);
  }

  @Override
  public void addrReplace(Address a) throws NetlinkException {
    addr("ip addr replace " + a.cidr() + " (index " + a.linkIndex() + ")", RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, a);
  }

  @Override
  public void addrDel(Address a) throws NetlinkException {
    addr("ip addr del " + a.cidr() + " (index " + a.linkIndex() + ")", RTM_DELADDR, 0, a);
  }

  private void addr(String op, int type, int flags, Address a) throws NetlinkException {
    transport.request(op, (w, seq) -> RtnlMessages.addr(w, seq, type, flags, a), m -> null);
  }

  @Override
  public List<Address> addrList(int linkIndex, Family family) throws NetlinkException {
    List<Address> all = transport.dump("ip addr show", (w, seq) -> RtnlMessages.addrDump(w, seq, family),
        m -> m.header().type() == RTM_NEWADDR ? RtnlMessages.decodeAddress(m) : null);
    all.removeIf(a -> (linkIndex > 0 && a.linkIndex() != linkIndex)
        || (family != Family.ALL && Family.of(a.ip()) != family));
    return all;
  }

  // ------------------------------------------------------------------ routes

  @Override
  public void routeAdd(Route r) throws NetlinkException {
    route("ip route add " + describe(r), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
  }

  @Override
  public void routeReplace(Route r) throws NetlinkException {
    route("ip route replace " + describe(r), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r);
  }

  @Override
  public void routeDel(Route r) throws NetlinkException {
    route("ip route del " + describe(r), RTM_DELROUTE, 0, r);
  }

  private void route(String op, int type, int flags, Route r) throws NetlinkException {
    transport.request(op, (w, seq) -> RtnlMessages.route(w, seq, type, flags, r), m -> null);
  }

  static String describe(Route r) {
    StringBuilder sb = new StringBuilder();
    if (r.type() != io.overlaynet.netlink.RouteType.UNICAST) {
      sb.append(r.type().name().toLowerCase(java.util.Locale.ROOT)).append(' ');
    }
    sb.append(r.dst());
    if (r.gateway() != null) {
      sb.append(" via ").append(r.gateway());
    }
    if (r.linkIndex() > 0) {
      sb.append(" dev (index ").append(r.linkIndex()).append(')');
    }
    if (r.isOnlink()) {
      sb.append(" onlink");
    }
    if (r.table() != Route.TABLE_MAIN) {
      sb.append(" table ").append(r.table());
    }
    return sb.toString();
  }

  @Override
  public List<Route> routeList(Family family) throws NetlinkException {
    return routeList(family, Route.TABLE_MAIN);
  }

  @Override
  public List<Route> routeList(Family family, int table) throws NetlinkException {
    List<Route> all = transport.dump("ip route show table " + (table == 0 ? "all" : table),
        (w, seq) -> RtnlMessages.routeDump(w, seq, family),
        m -> m.header().type() == RTM_NEWROUTE ? RtnlMessages.decodeRoute(m) : null);
    all.removeIf(r -> (table != 0 && r.table() != table) || (r.flags() & RTM_F_CLONED) != 0
        || (family != Family.ALL && r.family() != family));
    return all;
  }

  @Override
  public List<Route> routeGet(IpAddress destination) throws NetlinkException {
    return transport.request("ip route get " + destination, (w, seq) -> RtnlMessages.routeGet(w, seq, destination),
        m -> m.header().type() == RTM_NEWROUTE ? RtnlMessages.decodeRoute(m) : null);
  }

  @Override
  public void routeReplaceAll(List<Route> routes) throws NetlinkException {
    transport.batch("ip -batch route replace", routes.size(),
        (w, seq, i) -> RtnlMessages.route(w, seq, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, routes.get(i)),
        i -> "ip route replace " + describe(routes.get(i)));
  }

  @Override
  public void routeDelAll(List<Route> routes) throws NetlinkException {
    transport.batch("ip -batch route del", routes.size(),
        (w, seq, i) -> RtnlMessages.route(w, seq, RTM_DELROUTE, 0, routes.get(i)),
        i -> "ip route del " + describe(routes.get(i)));
  }

  // ------------------------------------------------------------------ neighbours

  @Override
  public void neighSet(Neighbor n) throws NetlinkException {
    neigh("ip neigh replace " + n.ip() + " lladdr " + n.mac(), RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, n);
  }

  @Override
  public void neighAdd(Neighbor n) throws NetlinkException {
    neigh("ip neigh add " + n.ip() + " lladdr " + n.mac(), RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, n);
  }

  @Override
  public void neighDel(Neighbor n) throws NetlinkException {
    neigh("ip neigh del " + n.ip(), RTM_DELNEIGH, 0, n);
  }

  private void neigh(String op, int type, int flags, Neighbor n) throws NetlinkException {
    String fullOp = op + " (index " + n.linkIndex() + ")";
    transport.request(fullOp, (w, seq) -> RtnlMessages.neigh(w, seq, type, flags, n), m -> null);
  }

  @Override
  public void neighSetAll(List<Neighbor> neighbors) throws NetlinkException {
    transport.batch("ip -batch neigh replace", neighbors.size(),
        (w, seq, i) -> RtnlMessages.neigh(w, seq, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, neighbors.get(i)),
        i -> "ip neigh replace " + neighbors.get(i).ip() + " lladdr " + neighbors.get(i).mac()
            + " (index " + neighbors.get(i).linkIndex() + ")");
  }

  @Override
  public void neighDelAll(List<Neighbor> neighbors) throws NetlinkException {
    transport.batch("ip -batch neigh del", neighbors.size(),
        (w, seq, i) -> RtnlMessages.neigh(w, seq, RTM_DELNEIGH, 0, neighbors.get(i)),
        i -> "ip neigh del " + neighbors.get(i).ip() + " (index " + neighbors.get(i).linkIndex() + ")");
  }

  @Override
  public List<Neighbor> neighList(int linkIndex, Family family) throws NetlinkException {
    List<Neighbor> all = transport.dump("ip neigh show", (w, seq) -> RtnlMessages.neighDump(w, seq, family.value()),
        m -> m.header().type() == RTM_NEWNEIGH ? RtnlMessages.decodeNeighbor(m) : null);
    all.removeIf(n -> (linkIndex > 0 && n.linkIndex() != linkIndex)
        || (family != Family.ALL && n.family() != family));
    return all;
  }

  // ------------------------------------------------------------------ FDB

  @Override
  public void fdbSet(FdbEntry e) throws NetlinkException {
    fdb("bridge fdb replace " + e.mac(), RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, e);
  }

  @Override
  public void fdbAdd(FdbEntry e) throws NetlinkException {
    fdb("bridge fdb add " + e.mac(), RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, e);
  }

  @Override
  public void fdbAppend(FdbEntry e) throws NetlinkException {
    fdb("bridge fdb append " + e.mac(), RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, e);
  }

  @Override
  public void fdbDel(FdbEntry e) throws NetlinkException {
    fdb("bridge fdb del " + e.mac(), RTM_DELNEIGH, 0, e);
  }

  private void fdb(String op, int type, int flags, FdbEntry e) throws NetlinkException {
    String fullOp = op + (e.dst() != null ? " dst " + e.dst() : "") + " (index " + e.linkIndex() + ")";
    transport.request(fullOp, (w, seq) -> RtnlMessages.fdb(w, seq, type, flags, e), m -> null);
  }

  @Override
  public void fdbSetAll(List<FdbEntry> entries) throws NetlinkException {
    transport.batch("bridge -batch fdb replace", entries.size(),
        (w, seq, i) -> RtnlMessages.fdb(w, seq, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, entries.get(i)),
        i -> describeFdb("bridge fdb replace ", entries.get(i)));
  }

  @Override
  public void fdbDelAll(List<FdbEntry> entries) throws NetlinkException {
    transport.batch("bridge -batch fdb del", entries.size(),
        (w, seq, i) -> RtnlMessages.fdb(w, seq, RTM_DELNEIGH, 0, entries.get(i)),
        i -> describeFdb("bridge fdb del ", entries.get(i)));
  }

  private static String describeFdb(String op, FdbEntry e) {
    return op + e.mac() + (e.dst() != null ? " dst " + e.dst() : "") + " (index " + e.linkIndex() + ")";
  }

  @Override
  public List<FdbEntry> fdbList(int linkIndex) throws NetlinkException {
    List<FdbEntry> all = transport.dump("bridge fdb show", (w, seq) -> RtnlMessages.neighDump(w, seq, AF_BRIDGE),
        m -> m.header().type() == RTM_NEWNEIGH ? RtnlMessages.decodeFdb(m) : null);
    all.removeIf(e -> linkIndex > 0 && e.linkIndex() != linkIndex);
    return all;
  }

  // ------------------------------------------------------------------ subscriptions

  @Override
  public Subscription subscribeLinks(SubscribeOptions options, NetlinkListener<Link> listener)
      throws NetlinkException {
    return RtnlSubscription.start(ns, "link", RTMGRP_LINK, options.listExisting() ? this::linkList : null,
        m -> switch (m.header().type()) {
          case RTM_NEWLINK -> RtnlSubscription.event(true, RtnlMessages.decodeLink(m));
          case RTM_DELLINK -> RtnlSubscription.event(false, RtnlMessages.decodeLink(m));
          default -> null;
        }, listener);
  }

  @Override
  public Subscription subscribeAddresses(SubscribeOptions options, NetlinkListener<Address> listener)
      throws NetlinkException {
    return RtnlSubscription.start(ns, "addr", RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
        options.listExisting() ? () -> addrList(0, Family.ALL) : null,
        m -> switch (m.header().type()) {
          case RTM_NEWADDR -> RtnlSubscription.event(true, RtnlMessages.decodeAddress(m));
          case RTM_DELADDR -> RtnlSubscription.event(false, RtnlMessages.decodeAddress(m));
          default -> null;
        }, listener);
  }

  @Override
  public Subscription subscribeRoutes(SubscribeOptions options, NetlinkListener<Route> listener)
      throws NetlinkException {
    return RtnlSubscription.start(ns, "route", RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
        options.listExisting() ? () -> routeList(Family.ALL, 0) : null,
        m -> switch (m.header().type()) {
          case RTM_NEWROUTE -> RtnlSubscription.event(true, RtnlMessages.decodeRoute(m));
          case RTM_DELROUTE -> RtnlSubscription.event(false, RtnlMessages.decodeRoute(m));
          default -> null;
        }, listener);
  }

  @Override
  public Subscription subscribeNeighbors(SubscribeOptions options, NetlinkListener<Neighbor> listener)
      throws NetlinkException {
    return RtnlSubscription.start(ns, "neigh", RTMGRP_NEIGH,
        options.listExisting() ? () -> neighList(0, Family.ALL) : null,
        m -> switch (m.header().type()) {
          case RTM_NEWNEIGH -> RtnlSubscription.event(true, RtnlMessages.decodeNeighbor(m));
          case RTM_DELNEIGH -> RtnlSubscription.event(false, RtnlMessages.decodeNeighbor(m));
          default -> null;
        }, listener);
  }

  @Override
  public void close() {
    transport.close();
  }

  @Override
  public String toString() {
    return "NetlinkHandle{" + (ns == null ? "current netns" : ns) + ", " + transport + "}";
  }
}
