package io.overlaynet.netlink.testing;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.LinkAttrs;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.NetlinkEvent;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkExistsException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.Subscription;
import io.overlaynet.netlink.Sysctl;
import io.overlaynet.netlink.VxlanInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An in-memory kernel for unit tests: links, addresses, routes, neighbours and FDB entries with
 * the kernel's replace/delete semantics as far as the backend relies on them, plus failure
 * injection and call counters.
 */
public final class FakeNetlink implements NetlinkHandle {

  public final Map<Integer, Link> links = new LinkedHashMap<>();
  public final List<Address> addrs = new ArrayList<>();
  public final List<Route> routes = new ArrayList<>();
  public final List<Neighbor> neighbors = new ArrayList<>();
  public final List<FdbEntry> fdb = new ArrayList<>();
  public final List<NetlinkListener<Link>> linkListeners = new ArrayList<>();
  public final List<NetlinkListener<Route>> routeListeners = new ArrayList<>();

  /** What {@code ip route get} answers; default: directly reachable through index 2. */
  public Function<IpAddress, List<Route>> routeGet = ip -> List.of(
      Route.builder(io.overlaynet.ip.IpNet.of(ip, 32)).withLinkIndex(2).build());
  public Predicate<Route> failRoute = r -> false;
  public Predicate<FdbEntry> failFdb = e -> false;

  public final AtomicInteger routeDumps = new AtomicInteger();
  public final AtomicInteger neighDumps = new AtomicInteger();
  public final AtomicInteger fdbDumps = new AtomicInteger();
  public final AtomicInteger routeBatches = new AtomicInteger();
  public final AtomicInteger linkAdds = new AtomicInteger();
  public volatile boolean closed;

  private final Random random = new Random(1);
  private int nextIndex = 10;

  /** Adds an underlay link {@code eth0} (index 2) with {@code ip/24}. */
  public synchronized FakeNetlink withUnderlay(Ip4 ip) {
    links.put(2, new Link(LinkAttrs.builder("eth0").withIndex(2).withMtu(1500).withUp(true).build(),
        new io.overlaynet.netlink.GenericLinkInfo("veth")));
    addrs.add(Address.of(2, ip, 24));
    return this;
  }

  private static NetlinkException notFound(String op) {
    return new NetlinkNotFoundException(op, 2, "No such file or directory", null);
  }

  private static NetlinkException exists(String op) {
    return new NetlinkExistsException(op, 17, "File exists", null);
  }

  @Override
  public NetNs netNs() {
    return null;
  }

  @Override
  public Sysctl sysctl() {
    throw new UnsupportedOperationException("no /proc/sys in the fake kernel");
  }

  @Override
  public synchronized Link linkAdd(Link link) throws NetlinkException {
    linkAdds.incrementAndGet();
    for (Link l : links.values()) {
      if (l.name().equals(link.name())) {
        throw exists("ip link add " + link.name());
      }
    }
    int index = nextIndex++;
    MacAddress mac = link.attrs().hardwareAddr() != null ? link.attrs().hardwareAddr()
        : MacAddress.randomLocallyAdministered(random);
    var info = link.info();
    if (info instanceof VxlanInfo vx && vx.port() == 0) {
      info = vx.toBuilder().withPort(8472).build(); // read back, the kernel reports its default
    }
    Link created = new Link(link.attrs().toBuilder().withIndex(index).withHardwareAddr(mac)
        .withMtu(link.attrs().mtu() == 0 ? 1500 : link.attrs().mtu()).build(), info);
    links.put(index, created);
    return created;
  }

  @Override
  public synchronized Link linkByName(String name) throws NetlinkException {
    for (Link l : links.values()) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    throw notFound("ip link show dev " + name);
  }

  @Override
  public synchronized Link linkByIndex(int index) throws NetlinkException {
    Link l = links.get(index);
    if (l == null) {
      throw notFound("ip link show index " + index);
    }
    return l;
  }

  @Override
  public synchronized List<Link> linkList() {
    return new ArrayList<>(links.values());
  }

  private void update(int index, Function<LinkAttrs.Builder, LinkAttrs.Builder> f) throws NetlinkException {
    Link l = linkByIndex(index);
    links.put(index, new Link(f.apply(l.attrs().toBuilder()).build(), l.info()));
  }

  @Override
  public synchronized void linkSetUp(int index) throws NetlinkException {
    update(index, b -> b.withUp(true));
  }

  @Override
  public synchronized void linkSetDown(int index) throws NetlinkException {
    update(index, b -> b.withUp(false));
  }

  @Override
  public synchronized void linkSetMtu(int index, int mtu) throws NetlinkException {
    update(index, b -> b.withMtu(mtu));
  }

  @Override
  public synchronized void linkSetHardwareAddr(int index, MacAddress mac) throws NetlinkException {
    update(index, b -> b.withHardwareAddr(mac));
  }

  @Override
  public void linkSetMaster(int index, int masterIndex) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void linkSetName(int index, String name) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void linkSetNsFd(int index, NetNs ns) {
    throw new UnsupportedOperationException();
  }

  @Override
  public synchronized void linkDel(int index) throws NetlinkException {
    Link l = links.remove(index);
    if (l == null) {
      throw notFound("ip link del " + index);
    }
    // Like the kernel: everything on the device goes with it.
    addrs.removeIf(a -> a.linkIndex() == index);
    routes.removeIf(r -> r.linkIndex() == index);
    neighbors.removeIf(n -> n.linkIndex() == index);
    fdb.removeIf(e -> e.linkIndex() == index);
  }

  /** Deletes a route "from outside" and notifies subscribers, as {@code ip route del} would. */
  public void deleteRouteFromOutside(Route r) throws NetlinkException {
    routeDel(r);
    List<NetlinkListener<Route>> ls;
    synchronized (this) {
      ls = new ArrayList<>(routeListeners);
    }
    for (NetlinkListener<Route> listener : ls) {
      listener.onEvent(new NetlinkEvent<>(NetlinkEvent.Type.DEL, r));
    }
  }

  /** Deletes a link "from outside" and notifies subscribers, as {@code ip link del} would. */
  public void deleteFromOutside(String name) throws NetlinkException {
    Link l = linkByName(name);
    linkDel(l.index());
    List<NetlinkListener<Link>> ls;
    synchronized (this) {
      ls = new ArrayList<>(linkListeners);
    }
    for (NetlinkListener<Link> listener : ls) {
      listener.onEvent(new NetlinkEvent<>(NetlinkEvent.Type.DEL, l));
    }
  }

  @Override
  public synchronized void addrAdd(Address a) throws NetlinkException {
    if (addrs.stream().anyMatch(x -> x.linkIndex() == a.linkIndex() && x.ip().equals(a.ip()))) {
      throw exists("ip addr add");
    }
    addrs.add(a);
  }

  @Override
  public synchronized void addrReplace(Address a) {
    addrs.removeIf(x -> x.linkIndex() == a.linkIndex() && x.ip().equals(a.ip()));
    addrs.add(a);
  }

  @Override
  public synchronized void addrDel(Address a) throws NetlinkException {
    if (!addrs.removeIf(x -> x.linkIndex() == a.linkIndex() && x.ip().equals(a.ip()))) {
      throw new NetlinkException("ip addr del", 99, "Cannot assign requested address", null);
    }
  }

  @Override
  public synchronized List<Address> addrList(int linkIndex, Family family) {
    return addrs.stream().filter(a -> linkIndex == 0 || a.linkIndex() == linkIndex)
        .filter(a -> family == Family.ALL || Family.of(a.ip()) == family).toList();
  }

  private static boolean sameKey(Route a, Route b) {
    return a.dst().equals(b.dst()) && a.table() == b.table() && a.priority() == b.priority();
  }

  @Override
  public synchronized void routeAdd(Route r) throws NetlinkException {
    if (routes.stream().anyMatch(x -> sameKey(x, r))) {
      throw exists("ip route add " + r.dst());
    }
    routeReplace(r);
  }

  @Override
  public synchronized void routeReplace(Route r) throws NetlinkException {
    if (failRoute.test(r)) {
      throw new NetlinkException("ip route replace " + r.dst(), 101, "Network is unreachable", null);
    }
    if (r.linkIndex() != 0 && !links.containsKey(r.linkIndex())) {
      throw new NetlinkNotFoundException("ip route replace " + r.dst(), 19, "No such device", null);
    }
    routes.removeIf(x -> sameKey(x, r));
    // The kernel resolves the device of a route given only a gateway.
    routes.add(r.linkIndex() == 0 ? r.toBuilder().withLinkIndex(2).build() : r);
  }

  @Override
  public synchronized void routeDel(Route r) throws NetlinkException {
    boolean removed = routes.removeIf(x -> x.dst().equals(r.dst()) && x.table() == r.table()
        && (r.gateway() == null || r.gateway().equals(x.gateway()))
        && (r.linkIndex() == 0 || r.linkIndex() == x.linkIndex()));
    if (!removed) {
      throw new NetlinkNotFoundException("ip route del " + r.dst(), 3, "No such process", null);
    }
  }

  @Override
  public synchronized List<Route> routeList(Family family) {
    routeDumps.incrementAndGet();
    return routes.stream().filter(r -> family == Family.ALL || r.family() == family).toList();
  }

  @Override
  public synchronized List<Route> routeList(Family family, int table) {
    return routeList(family);
  }

  @Override
  public List<Route> routeGet(IpAddress destination) {
    return routeGet.apply(destination);
  }

  @Override
  public synchronized void routeReplaceAll(List<Route> list) throws NetlinkException {
    routeBatches.incrementAndGet();
    NetlinkException first = null;
    for (Route r : list) {
      try {
        routeReplace(r);
      } catch (NetlinkException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public synchronized void routeDelAll(List<Route> list) throws NetlinkException {
    for (Route r : list) {
      routeDel(r);
    }
  }

  @Override
  public synchronized void neighSet(Neighbor n) throws NetlinkException {
    if (!links.containsKey(n.linkIndex())) {
      throw new NetlinkNotFoundException("ip neigh replace", 19, "No such device", null);
    }
    neighbors.removeIf(x -> x.linkIndex() == n.linkIndex() && x.ip().equals(n.ip()));
    neighbors.add(n);
  }

  @Override
  public synchronized void neighAdd(Neighbor n) throws NetlinkException {
    neighSet(n);
  }

  @Override
  public synchronized void neighDel(Neighbor n) throws NetlinkException {
    if (!neighbors.removeIf(x -> x.linkIndex() == n.linkIndex() && x.ip().equals(n.ip()))) {
      throw notFound("ip neigh del " + n.ip());
    }
  }

  @Override
  public synchronized List<Neighbor> neighList(int linkIndex, Family family) {
    neighDumps.incrementAndGet();
    return neighbors.stream().filter(n -> linkIndex == 0 || n.linkIndex() == linkIndex)
        .filter(n -> family == Family.ALL || n.family() == family).toList();
  }

  @Override
  public synchronized void fdbSet(FdbEntry e) throws NetlinkException {
    if (failFdb.test(e)) {
      throw new NetlinkException("bridge fdb replace", 22, "Invalid argument", null);
    }
    if (!links.containsKey(e.linkIndex())) {
      throw new NetlinkNotFoundException("bridge fdb replace", 19, "No such device", null);
    }
    fdb.removeIf(x -> x.linkIndex() == e.linkIndex() && x.mac().equals(e.mac()));
    fdb.add(e);
  }

  @Override
  public synchronized void fdbAdd(FdbEntry e) throws NetlinkException {
    fdbSet(e);
  }

  @Override
  public synchronized void fdbAppend(FdbEntry e) throws NetlinkException {
    fdb.add(e);
  }

  @Override
  public synchronized void fdbDel(FdbEntry e) throws NetlinkException {
    if (!fdb.removeIf(x -> x.linkIndex() == e.linkIndex() && x.mac().equals(e.mac())
        && (e.dst() == null || Objects.equals(e.dst(), x.dst())))) {
      throw notFound("bridge fdb del " + e.mac());
    }
  }

  @Override
  public synchronized List<FdbEntry> fdbList(int linkIndex) {
    fdbDumps.incrementAndGet();
    return fdb.stream().filter(e -> linkIndex == 0 || e.linkIndex() == linkIndex).toList();
  }

  @Override
  public synchronized Subscription subscribeLinks(SubscribeOptions options, NetlinkListener<Link> listener) {
    linkListeners.add(listener);
    return subscription(() -> linkListeners.remove(listener));
  }

  private Subscription subscription(Runnable remove) {
    return new Subscription() {
      private volatile boolean active = true;

      @Override
      public boolean isActive() {
        return active;
      }

      @Override
      public void close() {
        active = false;
        synchronized (FakeNetlink.this) {
          remove.run();
        }
      }
    };
  }

  @Override
  public Subscription subscribeAddresses(SubscribeOptions options, NetlinkListener<Address> listener) {
    throw new UnsupportedOperationException();
  }

  @Override
  public synchronized Subscription subscribeRoutes(SubscribeOptions options, NetlinkListener<Route> listener) {
    routeListeners.add(listener);
    return subscription(() -> routeListeners.remove(listener));
  }

  @Override
  public Subscription subscribeNeighbors(SubscribeOptions options, NetlinkListener<Neighbor> listener) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {
    closed = true;
  }
}
