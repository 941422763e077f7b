package io.overlaynet.vxlan;

import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.NetworkConfig;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.VxlanInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One address family of a node's vxlan data plane: the device ({@code flannel.<VNI>} for IPv4,
 * {@code flannel-v6.<VNI>} for IPv6), the wanted peers of that family, and the kernel writes that
 * program, remove, reconcile and repair them. flannel's v4 and v6 code paths in
 * {@code vxlan_network.go} are the same but for the device and the lease fields; here they are one
 * class. Not thread-safe: {@link VxlanNetwork} calls it under its lock.
 */
final class VxlanPlane {

  private static final Logger log = LoggerFactory.getLogger(VxlanPlane.class);

  private final NetlinkHandle nl;
  private final VxlanDevice.Spec spec;
  private final Family family;
  /** The lease's network address of this family, the device's host address. */
  private final IpAddress address;
  /** The Network of this family ({@code Network} or {@code IPv6Network}). */
  private final IpNet network;
  private final boolean directRouting;
  private final NetworkConfig netConfig;
  /** Set when the network closes: failures of writes still under way are then not worth a warning. */
  private volatile boolean closed;
  /** The wanted peers by subnet. */
  private final Map<IpNet, Peer> peers = new HashMap<>();
  /** The last programming error per subnet, until the subnet is programmed. */
  private final Map<IpNet, String> errors = new HashMap<>();
  private final ReconcileListener repairs;
  private volatile int devIndex;

  VxlanPlane(NetlinkHandle nl, VxlanDevice.Spec spec, IpAddress address, IpNet network, boolean directRouting,
      NetworkConfig netConfig, int devIndex, ReconcileListener repairs) {
    this.repairs = repairs;
    this.nl = nl;
    this.spec = spec;
    this.family = Family.of(address);
    this.address = address;
    this.network = network;
    this.directRouting = directRouting;
    this.netConfig = netConfig;
    this.devIndex = devIndex;
  }

  void markClosed() {
    closed = true;
  }

  String name() {
    return spec.name();
  }

  Family family() {
    return family;
  }

  IpNet network() {
    return network;
  }

  int deviceIndex() {
    return devIndex;
  }

  int peerCount() {
    return peers.size();
  }

  /** Returns whether DirectRouting applies to {@code publicIp}: enabled, and the peer is on this node's link. */
  boolean isDirect(IpAddress publicIp) {
    if (!directRouting) {
      return false;
    }
    try {
      return KernelState.isDirect(nl.routeGet(publicIp));
    } catch (NetlinkException e) {
      log.debug("ip route get {} failed: {}", publicIp, e.getMessage());
      return false;
    }
  }

  // ------------------------------------------------------------------ lease changes

  /**
   * Replaces the wanted peers with {@code fresh} (a snapshot): removes the objects of peers gone
   * or changed, then what this plane owns that no lease backs ({@code leased}: every other node's
   * subnet of this family), then programs every peer.
   */
  void replaceAll(Collection<Peer> fresh, Set<IpNet> leased) {
    Map<IpNet, Peer> byDst = new LinkedHashMap<>();
    fresh.forEach(p -> byDst.put(p.subnet(), p));
    List<Peer> gone = new ArrayList<>();
    for (Peer old : peers.values()) {
      if (!old.equals(byDst.get(old.subnet()))) {
        gone.add(old);
      }
    }
    unprogramAll(gone);
    peers.clear();
    peers.putAll(byDst);
    errors.keySet().retainAll(byDst.keySet());
    removeStale(leased);
    program(byDst.values());
  }

  /**
   * Records {@code subnet}'s new peer ({@code null}: the lease no longer has a usable part of this
   * family) and removes the objects of the one it replaces; returns the peer to program, or null.
   */
  Peer update(IpNet subnet, Peer p) {
    Peer old = p == null ? peers.remove(subnet) : peers.put(p.subnet(), p);
    if (old != null && !old.equals(p)) {
      // A new MAC or public IP (the node was rebuilt) or a switch to another backend type:
      // the old FDB entry and route form would otherwise stay behind.
      unprogram(old);
    }
    return p;
  }

  /** Forgets {@code subnet}'s peer and removes its objects; {@code derived} stands in for one never known. */
  void remove(IpNet subnet, Peer derived) {
    Peer known = peers.get(subnet);
    if (known != null && derived != null && !(known.publicIp().equals(derived.publicIp())
        && known.vtepMac().equals(derived.vtepMac()))) {
      // Programmed for another lease of the subnet (one batch held both): not the removed one's.
      return;
    }
    peers.remove(subnet);
    errors.remove(subnet);
    Peer p = known != null ? known : derived;
    if (p != null) {
      log.debug("removing subnet: {}", p);
      unprogram(p);
    }
  }

  // ------------------------------------------------------------------ kernel writes

  /**
   * Programs peers with three pipelined batches: every ARP/NDP entry, then every FDB entry, then
   * every route (so each peer's entries are in place before its route, as in flannel). If a batch
   * reports a failure, the peers are redone one by one, where, as in flannel, a failed FDB write
   * removes the neighbour entry and a failed route removes both, so no half-programmed peer stays;
   * the periodic check retries later. Every write replaces, so redoing the good ones is harmless.
   *
   * @return how many peers failed
   */
  int program(Collection<Peer> list) {
    if (list.isEmpty()) {
      return 0;
    }
    int index = devIndex;
    List<Neighbor> arp = new ArrayList<>(list.size());
    List<FdbEntry> fdb = new ArrayList<>(list.size());
    List<Route> routes = new ArrayList<>(list.size());
    for (Peer p : list) {
      if (!p.direct()) {
        arp.add(p.neighbor(index));
        fdb.add(p.fdb(index));
      }
      routes.add(p.route(index));
    }
    try {
      if (!arp.isEmpty()) {
        nl.neighSetAll(arp);
        nl.fdbSetAll(fdb);
      }
      nl.routeReplaceAll(routes);
      list.forEach(p -> errors.remove(p.subnet()));
      return 0;
    } catch (NetlinkException batchFailure) {
      log.debug("batch programming of {} subnets on {} failed ({}); redoing them one by one", list.size(),
          spec.name(), batchFailure.getMessage());
      return programOneByOne(list);
    }
  }

  private int programOneByOne(Collection<Peer> list) {
    int index = devIndex;
    int failed = 0;
    for (Peer p : list) {
      if (!p.direct()) {
        try {
          nl.neighSet(p.neighbor(index));
        } catch (NetlinkException e) {
          log.error("AddARP failed for {}: {}", p, e.getMessage());
          errors.put(p.subnet(), "AddARP failed: " + e.getMessage());
          failed++;
          continue;
        }
        try {
          nl.fdbSet(p.fdb(index));
        } catch (NetlinkException e) {
          log.error("AddFDB failed for {}: {}", p, e.getMessage());
          errors.put(p.subnet(), "AddFDB failed: " + e.getMessage());
          quietly(() -> nl.neighDel(p.neighbor(index)));
          failed++;
          continue;
        }
      }
      try {
        nl.routeReplace(p.route(index));
        errors.remove(p.subnet());
      } catch (NetlinkException e) {
        log.error("failed to add vxlanRoute ({} -> {}): {}", p.subnet(), p.direct() ? p.publicIp() : p.vtepIp(),
            e.getMessage());
        errors.put(p.subnet(), "failed to add vxlanRoute: " + e.getMessage());
        if (!p.direct()) {
          quietly(() -> nl.neighDel(p.neighbor(index)));
          quietly(() -> nl.fdbDel(p.fdb(index)));
        }
        failed++;
      }
    }
    return failed;
  }

  /**
   * Removes many objects with pipelined batches (routes first, then neighbour, then FDB entries);
   * an absent one is fine. If a batch reports any failure, its items are retried one by one so that
   * only real errors are logged.
   */
  private void removeAll(List<Route> routes, List<Neighbor> arp, List<FdbEntry> fdb) {
    if (!routes.isEmpty()) {
      try {
        nl.routeDelAll(routes);
      } catch (NetlinkException e) {
        routes.forEach(r -> quietly(() -> nl.routeDel(r)));
      }
    }
    if (!arp.isEmpty()) {
      try {
        nl.neighDelAll(arp);
      } catch (NetlinkException e) {
        arp.forEach(n -> quietly(() -> nl.neighDel(n)));
      }
    }
    if (!fdb.isEmpty()) {
      try {
        nl.fdbDelAll(fdb);
      } catch (NetlinkException e) {
        fdb.forEach(f -> quietly(() -> nl.fdbDel(f)));
      }
    }
  }

  /** Removes the objects of many peers with batches. */
  private void unprogramAll(Collection<Peer> list) {
    int index = devIndex;
    List<Route> routes = new ArrayList<>();
    List<Neighbor> arp = new ArrayList<>();
    List<FdbEntry> fdb = new ArrayList<>();
    for (Peer p : list) {
      routes.add(p.route(index));
      if (!p.direct()) {
        arp.add(p.neighbor(index));
        fdb.add(p.fdb(index));
      }
    }
    removeAll(routes, arp, fdb);
  }

  /** Removes a peer's objects; each is attempted, an absent one is fine. */
  private void unprogram(Peer p) {
    int index = devIndex;
    if (p.direct()) {
      quietly(() -> nl.routeDel(p.route(index)));
      return;
    }
    quietly(() -> nl.neighDel(p.neighbor(index)));
    quietly(() -> nl.fdbDel(p.fdb(index)));
    quietly(() -> nl.routeDel(p.route(index)));
  }

  /**
   * Removes what this plane programmed for leases that are gone (expired or deleted while no
   * agent ran): on the device, every route, permanent neighbour and FDB entry of no wanted peer
   * (the device is ours alone); with DirectRouting, on the underlay interface, the direct routes of
   * subnets no other node's lease names, by {@link OverlayRoutes#isOwned}'s rule, so nothing else
   * there is touched.
   */
  private void removeStale(Set<IpNet> leased) {
    try {
      KernelState k = readKernel();
      Collection<Peer> wanted = peers.values();
      List<Route> routes = new ArrayList<>(k.staleRoutes(wanted, network));
      if (directRouting) {
        // Only with DirectRouting does this backend write routes on the underlay interface.
        routes.addAll(OverlayRoutes.unleased(k.routes(), netConfig, spec.vtepDevIndex(), leased));
      }
      List<Neighbor> arp = k.staleNeighbors(wanted);
      List<FdbEntry> fdb = k.staleFdb(wanted);
      for (Route r : routes) {
        log.info("removing stale route {} via {}", r.dst(), r.gateway());
      }
      for (Neighbor n : arp) {
        log.info("removing stale {} entry {} lladdr {}", family == Family.V4 ? "ARP" : "NDP", n.ip(), n.mac());
      }
      for (FdbEntry e : fdb) {
        log.info("removing stale FDB entry {} dst {}", e.mac(), e.dst());
      }
      removeAll(routes, arp, fdb);
      repaired(RepairKind.STALE_REMOVED, routes.size() + arp.size() + fdb.size());
    } catch (NetlinkException e) {
      log.warn("could not list {}'s entries to remove stale ones: {}", spec.name(), e.getMessage());
    }
  }

  private KernelState readKernel() throws NetlinkException {
    return readKernel(devIndex);
  }

  private KernelState readKernel(int index) throws NetlinkException {
    return new KernelState(index, nl.routeList(family), nl.neighList(index, family), nl.fdbList(index));
  }

  /** Tells the listener of {@code count} repairs of {@code kind}, if any. */
  private void repaired(RepairKind kind, int count) {
    if (count > 0) {
      repairs.onRepaired(kind, count);
    }
  }

  // ------------------------------------------------------------------ status

  /** The wanted state of this plane, copied under the network's lock so that the kernel is read outside it. */
  record Wanted(VxlanPlane plane, int devIndex, Map<IpNet, Peer> peers, Map<IpNet, String> errors) {}

  /** Returns a copy of the wanted peers and pending errors (call under the network's lock). */
  Wanted wanted() {
    return new Wanted(this, devIndex, Map.copyOf(peers), Map.copyOf(errors));
  }

  /**
   * What the kernel holds for the wanted peers, per subnet, and what this plane owns without a
   * lease ({@code leased}: every other node's subnet of this family). Reads the kernel; needs no lock.
   */
  record Status(Map<IpNet, List<DataPlaneEntry>> entries, List<DataPlaneEntry> stale) {}

  Status status(Wanted w, Set<IpNet> leased) throws NetlinkException {
    KernelState k = readKernel(w.devIndex());
    String dev = spec.name();
    Map<IpNet, List<DataPlaneEntry>> entries = new HashMap<>();
    for (KernelState.PeerCheck c : k.check(w.peers().values())) {
      Peer p = c.peer();
      List<DataPlaneEntry> e = new ArrayList<>(3);
      e.add(new DataPlaneEntry("route", describe(p.route(w.devIndex())), c.route()));
      if (!p.direct()) {
        e.add(new DataPlaneEntry("neighbor", p.vtepIp() + " dev " + dev + " lladdr " + p.vtepMac() + " PERMANENT",
            c.neighbor()));
        e.add(new DataPlaneEntry("fdb", p.vtepMac() + " dev " + dev + " dst " + p.publicIp() + " self permanent",
            c.fdb()));
      }
      entries.put(p.subnet(), e);
    }
    List<DataPlaneEntry> stale = new ArrayList<>();
    Collection<Peer> wanted = w.peers().values();
    List<Route> routes = new ArrayList<>(k.staleRoutes(wanted, network));
    if (directRouting) {
      routes.addAll(OverlayRoutes.unleased(k.routes(), netConfig, spec.vtepDevIndex(), leased));
    }
    routes.forEach(r -> stale.add(new DataPlaneEntry("route", describe(r), Drift.STALE)));
    k.staleNeighbors(wanted).forEach(n -> stale.add(new DataPlaneEntry("neighbor",
        n.ip() + " dev " + dev + " lladdr " + n.mac() + " PERMANENT", Drift.STALE)));
    k.staleFdb(wanted).forEach(f -> stale.add(new DataPlaneEntry("fdb",
        f.mac() + " dev " + dev + " dst " + f.dst() + " self permanent", Drift.STALE)));
    return new Status(entries, stale);
  }

  /** Returns the pending error of {@code subnet} from a copy of the wanted state. */
  static Optional<String> error(Wanted w, IpNet subnet) {
    return Optional.ofNullable(w.errors().get(subnet));
  }

  /** A route as {@code ip route} prints it, this plane's device by name. */
  private String describe(Route r) {
    return r.describe(i -> i == devIndex ? spec.name() : "if" + i);
  }

  // ------------------------------------------------------------------ maintenance

  /**
   * Checks the device and every peer's objects; recreates a deleted device and re-programs all
   * peers; restores missing or changed entries. Tells the listener what it put right.
   *
   * @return how many peers could not be programmed
   * @throws NetlinkException if the kernel cannot be read or the device not recreated
   */
  int reconcile() throws NetlinkException {
    Link dev;
    try {
      dev = nl.linkByName(spec.name());
    } catch (NetlinkNotFoundException e) {
      dev = null;
    }
    if (dev == null || dev.index() != devIndex || !(dev.info() instanceof VxlanInfo)) {
      if (dev == null) {
        log.warn("{} was deleted; recreating it and re-programming {} subnets", spec.name(), peers.size());
      } else {
        log.warn("{} was replaced (index {} -> {}); re-programming {} subnets", spec.name(), devIndex, dev.index(),
            peers.size());
      }
      devIndex = setUp(VxlanDevice.ensure(nl, spec), spec.mtu()).index();
      repaired(RepairKind.DEVICE_RECREATED, 1);
      int failed = program(new ArrayList<>(peers.values()));
      log.info("{} recreated (index {}); {} subnets re-programmed, {} failed", spec.name(), devIndex,
          peers.size() - failed, failed);
      return failed;
    }
    // Present: keep it up, addressed and with the MAC our lease publishes.
    VxlanDevice.configure(nl, dev, address, network, 0, spec.mac());
    if (peers.isEmpty()) {
      return 0;
    }
    List<KernelState.PeerCheck> broken = readKernel().check(peers.values()).stream().filter(c -> !c.ok()).toList();
    if (broken.isEmpty()) {
      return 0;
    }
    for (KernelState.PeerCheck c : broken) {
      Peer p = c.peer();
      log.info("Route recovered {} : {}", p.subnet(), p.direct() ? p.publicIp() : p.vtepIp() + " dev " + spec.name());
    }
    int failed = program(broken.stream().map(KernelState.PeerCheck::peer).toList());
    if (failed == 0) {
      repaired(RepairKind.ROUTE_RESTORED, (int) broken.stream().filter(c -> c.route() != Drift.OK).count());
      repaired(RepairKind.NEIGHBOR_RESTORED,
          (int) broken.stream().filter(c -> c.neighbor() != Drift.OK).count());
      repaired(RepairKind.FDB_RESTORED, (int) broken.stream().filter(c -> c.fdb() != Drift.OK).count());
    }
    return failed;
  }

  /**
   * Addresses {@code dev}, sets its MTU (if {@code mtu} > 0) and MAC, brings it up and turns off
   * router advertisements on it; returns it as read back.
   *
   * @throws NetlinkException if a kernel call fails
   */
  Link setUp(Link dev, int mtu) throws NetlinkException {
    Link ready = VxlanDevice.configure(nl, dev, address, network, mtu, spec.mac());
    VxlanDevice.disableAcceptRa(nl, spec.name());
    return ready;
  }

  private interface NetlinkCall {
    void run() throws NetlinkException;
  }

  private void quietly(NetlinkCall call) {
    try {
      call.run();
    } catch (NetlinkNotFoundException e) {
      // already gone: what we wanted
    } catch (NetlinkException e) {
      if (!closed) {
        log.warn("{}", e.getMessage());
      }
    }
  }

  @Override
  public String toString() {
    return spec.name() + " (" + address + ", " + peers.size() + " peers)";
  }
}
