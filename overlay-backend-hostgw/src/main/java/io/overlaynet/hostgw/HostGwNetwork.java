package io.overlaynet.hostgw;

import io.overlaynet.BackendException;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.NetworkConfig;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.impl.WakeableLoop;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Subscription;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered host-gw backend of one node: a route {@code <subnet> via <public IP> dev
 * <underlay>} per remote lease, as flanneld's {@code route_network.go}, and with IPv6 enabled a
 * route {@code <IPv6 subnet> via <public IPv6> dev <underlay>} too; with its periodic check that
 * re-adds routes deleted from outside. Repairs (routes restored, stale ones removed) and checks
 * are told to the context's {@link ReconcileListener}; {@link #dataPlane()} compares the wanted
 * routes with the kernel's.
 *
 * <p>Kernel writes happen under one lock, so lease callbacks and the route check never
 * interleave; the netlink socket lives in the registering thread's namespace and works from any
 * thread.
 */
final class HostGwNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(HostGwNetwork.class);
  private static final long CONFLICT_DELAY_MILLIS = 50;
  /** While {@link RepairSeam} pauses the check, how often the loop looks whether it may run again. */
  private static final long PAUSED_POLL_MILLIS = 100;

  private final NetlinkHandle nl;
  private final Lease lease;
  private final NetworkConfig config;
  /** The overlay's networks: the IPv4 one, the IPv6 one, or both. */
  private final List<IpNet> networks;
  private final int linkIndex;
  /** The external interface's name, for descriptions ({@code dev eth0}). */
  private final String ifname;
  private final int mtu;
  private final HostGwOptions options;
  private final ReconcileListener repairs;

  private final Object lock = new Object();
  /** The wanted routes by destination (IPv4 and IPv6 subnets); guarded by {@link #lock}. */
  private final Map<IpNet, Route> routes = new LinkedHashMap<>();
  /**
   * The remote leases given, by key, of every backend type (their subnets are not stale either);
   * guarded by {@link #lock}.
   */
  private final Map<String, Lease> peers = new LinkedHashMap<>();
  /** Why a wanted route could not be written, until it is; guarded by {@link #lock}. */
  private final Map<IpNet, String> failures = new HashMap<>();
  /** Subnets already warned about for a foreign backend type; guarded by {@link #lock}. */
  private final Set<String> ignored = new HashSet<>();

  /**
   * Destinations added by lease events whose differing routes (another metric) are still to be
   * looked for; guarded by {@link #lock}. The check thread does it, so that the table dump stays
   * off the path of a new lease and a burst of events costs one dump.
   */
  private final Set<IpNet> conflictCheck = new HashSet<>();

  /** Watches the kernel's routes for deletions; closed with the network. */
  private Subscription routeWatch;
  /** Set when a route of the Network was deleted: the next round checks the table at once. */
  private volatile boolean routeGone;

  /** The route check; woken when {@link #conflictCheck} got entries or a route was deleted. */
  private final WakeableLoop checker = new WakeableLoop("overlaynet-hostgw-routecheck", this::checkRound);
  /** When the next periodic route check is due ({@link System#nanoTime()}); the checker's thread only. */
  private long nextCheck;
  private volatile boolean closed;

  HostGwNetwork(NetlinkHandle nl, Lease lease, NetworkConfig config, int linkIndex, String ifname, int mtu,
      HostGwOptions options, ReconcileListener repairs) {
    this.nl = nl;
    this.lease = lease;
    this.config = config;
    List<IpNet> nets = new ArrayList<>(2);
    if (config.enableIpv4()) {
      nets.add(config.network());
    }
    if (config.enableIpv6()) {
      nets.add(config.ipv6Network());
    }
    this.networks = List.copyOf(nets);
    this.linkIndex = linkIndex;
    this.ifname = ifname;
    this.mtu = mtu;
    this.options = options;
    this.repairs = repairs;
  }

  /** Starts the route check thread (from the registering thread, so it shares its namespace). */
  void start() throws NetlinkException {
    long interval = options.routeCheckInterval().toMillis();
    nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(interval);
    // A route of the Network deleted (by hand, by a tool) is restored at once rather than at the
    // next periodic check; the deletions this backend makes itself cost one table dump.
    routeWatch = OverlayRoutes.watchDeletions(nl, networks, () -> {
      routeGone = true;
      checker.wake();
    });
    checker.start(interval);
  }

  @Override
  public Lease lease() {
    return lease;
  }

  @Override
  public int mtu() {
    return mtu;
  }

  @Override
  public void onSnapshot(List<Lease> leases) {
    int staleRemoved;
    synchronized (lock) {
      if (closed) {
        return;
      }
      peers.clear();
      Map<IpNet, Route> fresh = new LinkedHashMap<>();
      for (Lease l : leases) {
        if (!l.key().equals(lease.key())) {
          peers.put(l.key(), l);
        }
        for (Route r : toRoutes(l)) {
          fresh.put(r.dst(), r);
        }
      }
      for (Map.Entry<IpNet, Route> old : routes.entrySet()) {
        Route now = fresh.get(old.getKey());
        if (now == null || !RouteTable.same(now, old.getValue())) {
          deleteQuietly(old.getValue());
        }
      }
      routes.clear();
      routes.putAll(fresh);
      failures.keySet().retainAll(fresh.keySet());
      program(fresh.values());
      List<Route> table;
      try {
        table = table();
      } catch (NetlinkException e) {
        log.warn("could not list routes to remove conflicting and stale ones: {}", e.getMessage());
        return;
      }
      removeConflicting(fresh.values(), table);
      staleRemoved = removeUnleased(table);
    }
    if (staleRemoved > 0) {
      repairs.onRepaired(RepairKind.STALE_REMOVED, staleRemoved);
    }
  }

  /**
   * Deletes the routes this backend would have written for a lease that is not in the snapshot
   * (now {@link #peers}): left by leases that expired or were deleted while no agent ran (flanneld
   * keeps them for ever, flannel-io/flannel#2554). See {@link #unleased}.
   *
   * @return how many were deleted
   */
  private int removeUnleased(List<Route> table) {
    int removed = 0;
    for (Route r : unleased(table, peers.values())) {
      log.info("Removing stale route {} via {}: no lease for it", r.dst(), r.gateway());
      if (deleteQuietly(r)) {
        removed++;
      }
    }
    return removed;
  }

  /**
   * Returns the routes of {@code table} this backend owns that none of {@code remote} (the other
   * nodes' leases) backs. Ownership is decided by {@link OverlayRoutes#isOwned}: main table,
   * protocol boot, via a gateway, out of the external interface, to a subnet the config can lease.
   * A subnet that another node's lease names (another backend type's too) is kept.
   */
  private List<Route> unleased(List<Route> table, Collection<Lease> remote) {
    List<IpNet> leased = new ArrayList<>(remote.size() * networks.size());
    for (Lease l : remote) {
      if (!l.subnet().isEmpty()) {
        leased.add(l.subnet());
      }
      l.ipv6Subnet().ifPresent(leased::add);
    }
    return OverlayRoutes.unleased(table, config, linkIndex, leased);
  }

  @Override
  public void onEvents(List<LeaseEvent> events) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      List<Route> added = new ArrayList<>();
      for (LeaseEvent e : LeaseEvent.lastPerSubnet(events)) {
        Lease l = e.lease();
        List<IpNet> dsts = destinations(l);
        if (e.type() == LeaseEvent.Type.REMOVED) {
          peers.remove(l.key());
          for (IpNet dst : dsts) {
            Route mine = routeFor(l, dst);
            Route known = routes.get(dst);
            if (known != null && mine != null && !RouteTable.same(mine, known)) {
              continue; // programmed for another lease of the subnet (one batch held both)
            }
            routes.remove(dst);
            failures.remove(dst);
            Route r = known != null ? known : mine;
            if (r != null && (known != null || "host-gw".equals(l.attrs().backendType()))) {
              log.debug("Subnet removed: {}", dst);
              deleteQuietly(r);
            }
          }
          continue;
        }
        if (!l.key().equals(lease.key())) {
          peers.put(l.key(), l);
        }
        List<Route> wanted = toRoutes(l);
        for (IpNet dst : dsts) {
          Route r = wanted.stream().filter(w -> w.dst().equals(dst)).findFirst().orElse(null);
          Route old = r == null ? routes.remove(dst) : routes.put(dst, r);
          if (old != null && r == null) {
            failures.remove(dst);
            deleteQuietly(old); // the node switched to another backend type, or lost this family
          }
          if (r != null) {
            added.add(r);
          }
        }
      }
      program(added);
      if (!added.isEmpty()) {
        for (Route r : added) {
          conflictCheck.add(r.dst());
        }
        checker.wake();
      }
    }
  }

  /** Returns the destinations a lease names in the families this network carries. */
  private List<IpNet> destinations(Lease l) {
    List<IpNet> out = new ArrayList<>(2);
    if (config.enableIpv4() && !l.subnet().isEmpty()) {
      out.add(l.subnet());
    }
    if (config.enableIpv6()) {
      l.ipv6Subnet().ifPresent(out::add);
    }
    return out;
  }

  /** Returns the routes for a host-gw lease, or none (warning once) for another backend type. */
  private List<Route> toRoutes(Lease l) {
    if (l.key().equals(lease.key())) {
      return List.of(); // our own lease (the agent filters it, a direct user may not)
    }
    String type = l.attrs().backendType();
    if (!"host-gw".equals(type)) {
      if (ignored.add(l.key() + "/" + type)) {
        log.warn("Ignoring non-host-gw subnet: type={}, subnet={}", type, l.subnetsText());
      }
      return List.of();
    }
    ignored.removeIf(k -> k.startsWith(l.key() + "/"));
    List<Route> out = new ArrayList<>(2);
    for (IpNet dst : destinations(l)) {
      Route r = routeFor(l, dst);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /** The route to one of a lease's subnets, or null if the lease has no public address of that family. */
  private Route routeFor(Lease l, IpNet dst) {
    IpAddress via;
    if (dst instanceof Ip6Net) {
      if (l.attrs().publicIpv6().isEmpty()) {
        return null;
      }
      via = l.attrs().publicIpv6().get();
    } else {
      if (l.attrs().publicIp().isUnspecified()) {
        return null;
      }
      via = l.attrs().publicIp();
    }
    return Route.builder(dst).withGateway(via).withLinkIndex(linkIndex).build();
  }

  /** Lists the main table's routes of the families this network carries, with one dump each. */
  private List<Route> table() throws NetlinkException {
    if (networks.size() == 2) {
      List<Route> all = new ArrayList<>(nl.routeList(Family.V4));
      all.addAll(nl.routeList(Family.V6));
      return all;
    }
    return nl.routeList(config.enableIpv4() ? Family.V4 : Family.V6);
  }

  /** Adds or replaces routes with one pipelined batch. */
  private void program(Collection<Route> list) {
    if (list.isEmpty()) {
      return;
    }
    try {
      nl.routeReplaceAll(new ArrayList<>(list));
      for (Route r : list) {
        failures.remove(r.dst());
      }
    } catch (NetlinkException batchFailure) {
      // Find out which ones failed: replace is idempotent, so redoing the good ones is harmless.
      for (Route r : list) {
        NetlinkException e = write(r);
        if (e != null) {
          log.error("Error adding route to {} via {}: {}", r.dst(), r.gateway(), e.getMessage());
        }
      }
    }
  }

  /**
   * Adds or replaces one route and keeps its outcome for {@link #dataPlane()}; the caller holds
   * {@link #lock}.
   *
   * @return the failure, or null if the route was written
   */
  private NetlinkException write(Route r) {
    try {
      nl.routeReplace(r);
      failures.remove(r.dst());
      return null;
    } catch (NetlinkException e) {
      failures.put(r.dst(), "ip route replace " + describe(r) + ": " + e.getMessage());
      return e;
    }
  }

  /** Describes a route as iproute2 prints it: {@code 10.5.90.0/24 via 192.0.2.12 dev eth0}. */
  private String describe(Route r) {
    return r.dst() + " via " + r.gateway() + " dev " + ifname;
  }

  /**
   * Deletes, with one table dump, the routes to the same destinations as {@code wanted} ones that
   * differ and that the replace did not overwrite (another metric), as flannel's {@code routeAdd}
   * does. flannel deletes them before adding its own; deleting them afterwards leaves the same
   * table, and ours (metric 0) is preferred meanwhile.
   */
  private void removeConflicting(Collection<Route> wanted) {
    if (wanted.isEmpty()) {
      return;
    }
    try {
      removeConflicting(wanted, table());
    } catch (NetlinkException e) {
      log.warn("could not list routes: {}", e.getMessage());
    }
  }

  private void removeConflicting(Collection<Route> wanted, List<Route> table) {
    for (Route c : RouteTable.conflicting(wanted, table)) {
      log.info("Deleting existing route to {} via {}: it differs from flannel's", c.dst(), c.gateway());
      deleteQuietly(c);
    }
  }

  /**
   * Runs the conflict cleanup queued by lease events. Package-private so tests can run it at once.
   */
  void removeQueuedConflicts() {
    synchronized (lock) {
      if (closed || conflictCheck.isEmpty()) {
        return;
      }
      List<Route> wanted = new ArrayList<>();
      for (IpNet dst : conflictCheck) {
        Route r = routes.get(dst);
        if (r != null) {
          wanted.add(r);
        }
      }
      conflictCheck.clear();
      removeConflicting(wanted);
    }
  }

  /** Deletes a route, logging a failure; returns whether it was deleted by this call. */
  private boolean deleteQuietly(Route r) {
    try {
      nl.routeDel(r);
      return true;
    } catch (NetlinkNotFoundException e) {
      return false; // already gone: what we wanted
    } catch (NetlinkException e) {
      if (!closed) {
        log.error("Error deleting route to {}: {}", r.dst(), e.getMessage());
      }
      return false;
    }
  }

  /**
   * One round of the route check: queued conflict checks when woken for them (after a short delay,
   * so that a burst of events costs one dump), the periodic check when it is due.
   */
  private long checkRound(boolean woken) throws InterruptedException {
    try {
      if (woken) {
        Thread.sleep(CONFLICT_DELAY_MILLIS); // let a burst of events gather: one dump for all
        removeQueuedConflicts();
      }
      if (RepairSeam.paused()) {
        // A test is looking at the drift: the check stays due (routeGone, nextCheck) and runs as
        // soon as the seam lets it, not a whole period later.
        return PAUSED_POLL_MILLIS;
      }
      if (routeGone || System.nanoTime() - nextCheck >= 0) {
        routeGone = false;
        nextCheck = System.nanoTime() + options.routeCheckInterval().toNanos();
        checkRoutes();
      }
    } catch (NetlinkException | RuntimeException e) {
      if (!closed) {
        log.warn("route check failed: {}", e.getMessage());
      }
    }
    return TimeUnit.NANOSECONDS.toMillis(nextCheck - System.nanoTime());
  }

  /**
   * Re-adds every wanted route missing from the kernel table (flannel's {@code checkSubnetExistInV4Routes}),
   * and tells the {@link ReconcileListener} what it restored and whether the check ended well.
   * Package-private so tests can run it at once.
   *
   * @throws NetlinkException if the table cannot be read
   */
  void checkRoutes() throws NetlinkException {
    int restored = 0;
    NetlinkException failed = null;
    try {
      synchronized (lock) {
        if (closed) {
          return;
        }
        List<Route> missing = routes.isEmpty() ? List.of() : RouteTable.missing(routes.values(), table());
        for (Route r : missing) {
          NetlinkException e = write(r);
          if (e == null) {
            restored++;
            log.info("Route recovered {} : {}", r.dst(), r.gateway());
          } else {
            log.warn("Error recovering route to {} via {}: {}", r.dst(), r.gateway(), e.getMessage());
            failed = failed == null ? e : failed;
          }
        }
      }
    } catch (NetlinkException | RuntimeException e) {
      if (!closed) {
        repairs.onReconcileFailed(e);
      }
      throw e;
    }
    if (restored > 0) {
      repairs.onRepaired(RepairKind.ROUTE_RESTORED, restored);
    }
    if (failed != null) {
      repairs.onReconcileFailed(failed);
    } else {
      repairs.onReconciled();
    }
  }

  /**
   * Returns, per remote lease, its routes ({@code 10.5.90.0/24 via 192.0.2.12 dev eth0}, and the
   * IPv6 one on a dual-stack network) as the main table holds them: {@code OK}, {@code MISSING}
   * (deleted, not restored yet) or {@code WRONG} (the subnet routed via another gateway or
   * device), with the last failure to write them; no entries for a lease of another backend type
   * or without a public address of a family this network carries. Stale: the routes this backend
   * owns that no lease backs (see {@link #unleased}), which the next snapshot removes.
   *
   * <p>The wanted state is copied under the lock and the table read outside it (one dump per
   * family), so lease events never wait for a status query; an event applied in between may show
   * once as drift.
   *
   * @throws BackendException if the routing table cannot be read
   */
  @Override
  public DataPlaneView dataPlane() {
    List<Lease> remote;
    Map<IpNet, String> errors;
    synchronized (lock) {
      remote = List.copyOf(peers.values());
      errors = new HashMap<>(failures);
    }
    List<Route> table;
    try {
      table = table();
    } catch (NetlinkException e) {
      throw new BackendException("host-gw: cannot list routes: " + e.getMessage(), e);
    }
    Map<IpNet, List<Route>> byDst = RouteTable.byDestination(table);
    List<PeerStatus> out = new ArrayList<>(remote.size());
    for (Lease l : remote) {
      out.add(peerStatus(l, errors, byDst));
    }
    List<DataPlaneEntry> stale = new ArrayList<>();
    for (Route r : unleased(table, remote)) {
      stale.add(new DataPlaneEntry("route", describe(r), DataPlaneEntry.Drift.STALE));
    }
    return new DataPlaneView(out, stale);
  }

  /**
   * Compares the routes one remote lease wants with the table ({@link RouteTable#byDestination
   * indexed}). Of two leases naming one subnet, the one whose route the table does not hold shows
   * it as {@code WRONG}: its subnet is routed elsewhere.
   */
  private PeerStatus peerStatus(Lease l, Map<IpNet, String> errors, Map<IpNet, List<Route>> byDst) {
    List<DataPlaneEntry> entries = new ArrayList<>(2);
    List<String> lastErrors = new ArrayList<>(0);
    if ("host-gw".equals(l.attrs().backendType())) {
      for (IpNet dst : destinations(l)) {
        Route w = routeFor(l, dst);
        if (w == null) {
          continue; // no public address of that family
        }
        entries.add(new DataPlaneEntry("route", describe(w), RouteTable.drift(w, byDst)));
        String error = errors.get(dst);
        if (error != null) {
          lastErrors.add(error);
        }
      }
    }
    Optional<String> lastError = lastErrors.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", lastErrors));
    return new PeerStatus(l, entries, lastError);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (routeWatch != null) {
      routeWatch.close();
    }
    checker.close();
    // Like flanneld: routes stay, so traffic survives an agent restart.
    nl.close();
  }

  @Override
  public String toString() {
    return "HostGwNetwork{lease=" + lease.subnet() + ", dev index " + linkIndex + ", mtu=" + mtu + "}";
  }
}
