package io.overlaynet.vxlan;

import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The kernel's view of the objects this backend owns, read with one dump per kind, and the
 * comparisons against the wanted peers. Pure logic, so it is unit-tested without a kernel.
 *
 * @param devIndex the index of {@code flannel.<VNI>} (or {@code flannel-v6.<VNI>})
 * @param routes the routes of the device's family in the main table
 * @param neighbors the neighbour entries of that family on the device
 * @param fdb the FDB entries on the device
 */
record KernelState(int devIndex, List<Route> routes, List<Neighbor> neighbors, List<FdbEntry> fdb) {

  /**
   * Returns the DirectRouting decision for the result of {@code ip route get <publicIp>}: the
   * peer is directly reachable when exactly one route comes back and it has no gateway
   * (flannel's {@code ip.DirectRouting}).
   */
  static boolean isDirect(List<Route> routeGetResult) {
    return routeGetResult.size() == 1 && routeGetResult.get(0).gateway() == null;
  }

  /**
   * How the kernel holds one peer's objects. A direct peer has only its route; its neighbour and
   * FDB drifts are then {@code OK}.
   */
  record PeerCheck(Peer peer, Drift route, Drift neighbor, Drift fdb) {
    boolean ok() {
      return route == Drift.OK && neighbor == Drift.OK && fdb == Drift.OK;
    }
  }

  /** Compares each wanted peer's route, ARP/NDP and FDB entry with the kernel's. */
  List<PeerCheck> check(Collection<Peer> wanted) {
    Map<IpNet, Route> routeByDst = new HashMap<>();
    for (Route r : routes) {
      IpNet d = r.dst();
      // Ours has the family's default metric (none for IPv4, 1024 for IPv6); another route to the
      // same destination with another metric does not count.
      if (r.priority() == defaultMetric(d) || !routeByDst.containsKey(d)) {
        routeByDst.put(d, r);
      }
    }
    Map<IpAddress, Neighbor> neighByIp = new HashMap<>();
    for (Neighbor n : neighbors) {
      if (n.linkIndex() == devIndex) {
        neighByIp.put(n.ip(), n);
      }
    }
    Map<MacAddress, Set<IpAddress>> fdbDsts = new HashMap<>();
    for (FdbEntry e : fdb) {
      if (e.linkIndex() == devIndex && e.dst() != null) {
        fdbDsts.computeIfAbsent(e.mac(), m -> new HashSet<>()).add(e.dst());
      }
    }
    List<PeerCheck> checks = new ArrayList<>(wanted.size());
    for (Peer p : wanted) {
      Route have = routeByDst.get(p.subnet());
      Drift route = have == null ? Drift.MISSING : routeMatches(p.route(devIndex), have, p.direct()) ? Drift.OK
          : Drift.WRONG;
      Drift neighbor = Drift.OK;
      Drift fdbDrift = Drift.OK;
      if (!p.direct()) {
        Neighbor n = neighByIp.get(p.vtepIp());
        neighbor = n == null ? Drift.MISSING : p.vtepMac().equals(n.mac()) && n.isPermanent() ? Drift.OK : Drift.WRONG;
        Set<IpAddress> dsts = fdbDsts.get(p.vtepMac());
        fdbDrift = dsts == null ? Drift.MISSING : dsts.contains(p.publicIp()) ? Drift.OK : Drift.WRONG;
      }
      checks.add(new PeerCheck(p, route, neighbor, fdbDrift));
    }
    return checks;
  }

  /** Returns the peers whose route, ARP or FDB entry is missing or differs. */
  List<Peer> needsRepair(Collection<Peer> wanted) {
    return check(wanted).stream().filter(c -> !c.ok()).map(PeerCheck::peer).toList();
  }

  /** The metric the kernel gives a route written without one: 0 for IPv4, 1024 for IPv6. */
  private static int defaultMetric(IpNet dst) {
    return dst.address().bitLength() == 32 ? 0 : 1024;
  }

  private static boolean routeMatches(Route want, Route have, boolean direct) {
    if (!Objects.equals(want.gateway(), have.gateway())) {
      return false;
    }
    // A direct route names no device: the kernel picks the underlay one.
    return direct || (have.linkIndex() == want.linkIndex() && have.isOnlink());
  }

  /**
   * Returns the routes through the device to destinations inside {@code network} that belong to
   * no wanted peer: left over from leases that expired while no agent ran. The kernel's own
   * routes (an IPv6 address's prefix route, e.g. {@code fd00:5:0:3a:: dev flannel-v6.1 proto kernel})
   * are not ours.
   */
  List<Route> staleRoutes(Collection<Peer> wanted, IpNet network) {
    Set<IpNet> dsts = new HashSet<>();
    for (Peer p : wanted) {
      dsts.add(p.subnet());
    }
    List<Route> stale = new ArrayList<>();
    for (Route r : routes) {
      IpNet d = r.dst();
      if (r.linkIndex() == devIndex && r.protocol() != Route.PROTO_KERNEL && inside(d, network)
          && !dsts.contains(d)) {
        stale.add(r);
      }
    }
    return stale;
  }

  private static boolean inside(IpNet d, IpNet network) {
    return d.getClass() == network.getClass() && d.prefixLength() >= network.prefixLength()
        && network.containsAddress(d.address());
  }

  /** Returns the permanent ARP entries on the device that belong to no wanted peer. */
  List<Neighbor> staleNeighbors(Collection<Peer> wanted) {
    Set<IpAddress> ips = new HashSet<>();
    for (Peer p : wanted) {
      if (!p.direct()) {
        ips.add(p.vtepIp());
      }
    }
    List<Neighbor> stale = new ArrayList<>();
    for (Neighbor n : neighbors) {
      if (n.linkIndex() == devIndex && n.isPermanent() && !ips.contains(n.ip())) {
        stale.add(n);
      }
    }
    return stale;
  }

  /** Returns the permanent remote FDB entries on the device that belong to no wanted peer. */
  List<FdbEntry> staleFdb(Collection<Peer> wanted) {
    Set<MacAddress> macs = new HashSet<>();
    for (Peer p : wanted) {
      if (!p.direct()) {
        macs.add(p.vtepMac());
      }
    }
    List<FdbEntry> stale = new ArrayList<>();
    for (FdbEntry e : fdb) {
      if (e.linkIndex() == devIndex && e.dst() != null && e.isPermanent() && !macs.contains(e.mac())) {
        stale.add(e);
      }
    }
    return stale;
  }
}
