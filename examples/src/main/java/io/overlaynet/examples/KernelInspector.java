package io.overlaynet.examples;

import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.Lease;
import io.overlaynet.NetworkConfig;
import io.overlaynet.PeerStatus;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code overlay-agent status} shows when no agent answers: each lease in etcd beside the
 * kernel's route to its subnet, read directly. Without the backend's state it checks the one
 * object every backend keeps per peer in the main table (udp keeps none: one route for the whole
 * Network to {@code flannel0}), by the rule of the config's backend type: vxlan routes a subnet
 * through the subnet's first address ({@code onlink}, or the public IP with DirectRouting), host-gw
 * through the public IP. A lease of another type gets no entry, as the backend ignores it too.
 * Stale: routes the backends own by {@link OverlayRoutes#isOwned}'s rule that no lease backs.
 * Pure logic over what was read, so it is unit-tested without a kernel.
 */
final class KernelInspector {

  /** The result: per remote lease the kernel's route and its drift, and routes no lease backs. */
  record Result(List<PeerStatus> peers, List<DataPlaneEntry> stale) {}

  private KernelInspector() {}

  /**
   * Compares {@code leases} (the own one, {@code ownKey}, is left out) with {@code routes} (the main
   * table of both families) under {@code config}; {@code linkNames} names the devices by index.
   */
  static Result inspect(NetworkConfig config, List<Lease> leases, Optional<String> ownKey, List<Route> routes,
      Map<Integer, String> linkNames) {
    Map<IpNet, Route> byDst = new HashMap<>();
    for (Route r : routes) {
      if (r.table() == Route.TABLE_MAIN) {
        byDst.putIfAbsent(r.dst(), r);
      }
    }
    List<PeerStatus> peers = new ArrayList<>();
    Set<IpNet> leased = new HashSet<>();
    for (Lease l : leases) {
      List<IpNet> subnets = subnets(l);
      leased.addAll(subnets);
      if (ownKey.isPresent() && ownKey.get().equals(l.key())) {
        continue;
      }
      List<DataPlaneEntry> entries = new ArrayList<>();
      if (l.attrs().backendType().equals(config.backend().type())) {
        for (IpNet s : subnets) {
          entries.add(check(config, l, s, byDst, linkNames));
        }
      }
      peers.add(new PeerStatus(l, entries, Optional.empty()));
    }
    List<DataPlaneEntry> stale = new ArrayList<>();
    for (Route r : routes) {
      // The device is whatever the route names: vxlan's flannel.N and host-gw's underlay alike.
      if (OverlayRoutes.isOwned(r, config, r.linkIndex()) && !leased.contains(r.dst())) {
        stale.add(new DataPlaneEntry("route", describe(r, linkNames), Drift.STALE));
      }
    }
    return new Result(peers, stale);
  }

  private static List<IpNet> subnets(Lease l) {
    List<IpNet> s = new ArrayList<>(2);
    if (!l.subnet().isEmpty()) {
      s.add(l.subnet());
    }
    l.ipv6Subnet().filter(v6 -> !v6.isEmpty()).ifPresent(s::add);
    return s;
  }

  private static DataPlaneEntry check(NetworkConfig config, Lease l, IpNet subnet, Map<IpNet, Route> byDst,
      Map<Integer, String> linkNames) {
    String type = config.backend().type();
    boolean v4 = subnet.address().bitLength() == 32;
    if (type.equals("udp")) {
      IpNet network = v4 ? config.network() : config.ipv6Network();
      Route shared = byDst.get(network);
      return shared == null
          ? new DataPlaneEntry("route", network + " dev flannel0 (shared by every udp peer)", Drift.MISSING)
          : new DataPlaneEntry("route", describe(shared, linkNames) + " (shared by every udp peer)", Drift.OK);
    }
    Route have = byDst.get(subnet);
    if (have == null) {
      return new DataPlaneEntry("route", subnet + " " + expected(type, l, subnet, v4), Drift.MISSING);
    }
    IpAddress publicIp = v4 ? l.attrs().publicIp() : l.attrs().publicIpv6().orElse(null);
    boolean ok = switch (type) {
      case "vxlan" -> subnet.address().equals(have.gateway()) && have.isOnlink() || have.gateway() != null
          && have.gateway().equals(publicIp);
      case "host-gw" -> have.gateway() != null && have.gateway().equals(publicIp);
      default -> true; // a backend this command does not know: the route's presence is all it can say
    };
    return new DataPlaneEntry("route", describe(have, linkNames), ok ? Drift.OK : Drift.WRONG);
  }

  private static String expected(String type, Lease l, IpNet subnet, boolean v4) {
    String publicIp = v4 ? l.attrs().publicIp().toString() : l.attrs().publicIpv6().map(Object::toString).orElse("?");
    return switch (type) {
      case "vxlan" -> "via " + subnet.address() + " dev flannel" + (v4 ? "" : "-v6") + ".<VNI> onlink";
      case "host-gw" -> "via " + publicIp;
      default -> "(" + (type.isEmpty() ? "no backend type" : type) + ")";
    };
  }

  /** A route as {@code ip route} prints it. */
  static String describe(Route r, Map<Integer, String> linkNames) {
    return r.describe(i -> linkNames.getOrDefault(i, "if" + i));
  }
}
