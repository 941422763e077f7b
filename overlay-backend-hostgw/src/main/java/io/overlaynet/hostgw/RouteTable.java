package io.overlaynet.hostgw;

import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Route;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Comparisons between the wanted host-gw routes and the kernel's main table, read with one dump.
 * Pure logic, unit-tested without a kernel.
 */
final class RouteTable {

  /** The metric the kernel gives an IPv6 route added without one. */
  static final int IPV6_DEFAULT_METRIC = 1024;

  private RouteTable() {}

  /** Returns whether {@code have} is the route {@code want} (destination, gateway, device). */
  static boolean same(Route want, Route have) {
    return want.dst().equals(have.dst()) && Objects.equals(want.gateway(), have.gateway())
        && want.linkIndex() == have.linkIndex();
  }

  /** Returns the wanted routes the table lacks (deleted by hand, or never added). */
  static List<Route> missing(Collection<Route> wanted, List<Route> table) {
    Map<IpNet, List<Route>> byDst = byDestination(table);
    List<Route> out = new ArrayList<>();
    for (Route w : wanted) {
      if (drift(w, byDst) != Drift.OK) {
        out.add(w);
      }
    }
    return out;
  }

  /**
   * Indexes the table by destination, so that comparing it with the wanted routes is one pass over
   * each list, not wanted x table (5,000 peers = 25M pairs).
   */
  static Map<IpNet, List<Route>> byDestination(List<Route> table) {
    Map<IpNet, List<Route>> byDst = new HashMap<>();
    for (Route h : table) {
      byDst.computeIfAbsent(h.dst(), k -> new ArrayList<>(1)).add(h);
    }
    return byDst;
  }

  /**
   * Returns how the table ({@link #byDestination indexed}) holds {@code want}: {@code OK} if one of
   * its routes to that destination is it, {@code WRONG} if the destination is routed otherwise
   * (another gateway or device), {@code MISSING} if it is not routed at all.
   */
  static Drift drift(Route want, Map<IpNet, List<Route>> byDst) {
    List<Route> have = byDst.getOrDefault(want.dst(), List.of());
    if (have.stream().anyMatch(h -> same(want, h))) {
      return Drift.OK;
    }
    return have.isEmpty() ? Drift.MISSING : Drift.WRONG;
  }

  /**
   * Returns the routes to the same destinations as wanted ones that differ and would survive a
   * {@code replace} (another metric or table entry): flannel deletes those before adding its own.
   * Routes at the metric ours get (0 for IPv4; 1024 for IPv6, where the kernel turns 0 into 1024)
   * are left out: {@code replace} overwrites them in place.
   */
  static List<Route> conflicting(Collection<Route> wanted, List<Route> table) {
    Map<IpNet, Route> byDst = new HashMap<>();
    for (Route w : wanted) {
      byDst.put(w.dst(), w);
    }
    List<Route> out = new ArrayList<>();
    for (Route h : table) {
      if (h.priority() == (h.dst() instanceof Ip6Net ? IPV6_DEFAULT_METRIC : 0)) {
        continue;
      }
      Route w = byDst.get(h.dst());
      if (w != null && !same(w, h)) {
        out.add(h);
      }
    }
    return out;
  }
}
