package io.overlaynet.hostgw;

import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.NetworkConfig;
import io.overlaynet.impl.WakeableLoop;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Subscription;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered host-gw backend of one node: a route {@code <subnet> via <public IP> dev
 * <underlay>} per remote lease, as flanneld's {@code route_network.go}, with its periodic check
 * that re-adds routes deleted from outside.
 *
 * <p>Kernel writes happen under one lock, so lease callbacks and the route check never
 * interleave; the netlink socket lives in the registering thread's namespace and works from any
 * thread.
 */
final class HostGwNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(HostGwNetwork.class);
  private static final long CONFLICT_DELAY_MILLIS = 50;

  private final NetlinkHandle nl;
  private final Lease lease;
  private final NetworkConfig config;
  private final Ip4Net network;
  private final int linkIndex;
  private final int mtu;
  private final HostGwOptions options;

  private final Object lock = new Object();
  /** The wanted routes by subnet; guarded by {@link #lock}. */
  private final Map<Ip4Net, Route> routes = new LinkedHashMap<>();
  /** Subnets already warned about for a foreign backend type; guarded by {@link #lock}. */
  private final Set<String> ignored = new HashSet<>();

  /**
   * Destinations added by lease events whose differing routes (another metric) are still to be
   * looked for; guarded by {@link #lock}. The check thread does it, so that the table dump stays
   * off the path of a new lease and a burst of events costs one dump.
   */
  private final Set<Ip4Net> conflictCheck = new HashSet<>();

  /** Watches the kernel's routes for deletions; closed with the network. */
  private Subscription routeWatch;
  /** Set when a route of the Network was deleted: the next round checks the table at once. */
  private volatile boolean routeGone;

  /** The route check; woken when {@link #conflictCheck} got entries or a route was deleted. */
  private final WakeableLoop checker = new WakeableLoop("overlaynet-hostgw-routecheck", this::checkRound);
  /** When the next periodic route check is due ({@link System#nanoTime()}); the checker's thread only. */
  private long nextCheck;
  private volatile boolean closed;

  HostGwNetwork(NetlinkHandle nl, Lease lease, NetworkConfig config, int linkIndex, int mtu, HostGwOptions options) {
    this.nl = nl;
    this.lease = lease;
    this.config = config;
    this.network = config.network();
    this.linkIndex = linkIndex;
    this.mtu = mtu;
    this.options = options;
  }

  /** Starts the route check thread (from the registering thread, so it shares its namespace). */
  void start() throws NetlinkException {
    long interval = options.routeCheckInterval().toMillis();
    nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(interval);
    // A route of the Network deleted (by hand, by a tool) is restored at once rather than at the
    // next periodic check; the deletions this backend makes itself cost one table dump.
    routeWatch = OverlayRoutes.watchDeletions(nl, network, () -> {
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
    synchronized (lock) {
      if (closed) {
        return;
      }
      Map<Ip4Net, Route> fresh = new LinkedHashMap<>();
      for (Lease l : leases) {
        Route r = toRoute(l);
        if (r != null) {
          fresh.put(l.subnet(), r);
        }
      }
      for (Map.Entry<Ip4Net, Route> old : routes.entrySet()) {
        Route now = fresh.get(old.getKey());
        if (now == null || !RouteTable.same(now, old.getValue())) {
          deleteQuietly(old.getValue());
        }
      }
      routes.clear();
      routes.putAll(fresh);
      program(fresh.values());
      List<Route> table;
      try {
        table = nl.routeList(Family.V4);
      } catch (NetlinkException e) {
        log.warn("could not list routes to remove conflicting and stale ones: {}", e.getMessage());
        return;
      }
      removeConflicting(fresh.values(), table);
      removeUnleased(leases, table);
    }
  }

  /**
   * Deletes the routes this backend would have written for a lease that is not in the snapshot:
   * left by leases that expired or were deleted while no agent ran (flanneld keeps them for ever,
   * flannel-io/flannel#2554). Ownership is decided by {@link OverlayRoutes#isOwned}: main table,
   * protocol boot, via a gateway, out of the external interface, to a subnet the config can lease.
   * A subnet that another node's lease names (another backend type's too) is kept.
   */
  private void removeUnleased(List<Lease> leases, List<Route> table) {
    List<Ip4Net> leased = new ArrayList<>(leases.size());
    for (Lease l : leases) {
      if (!l.subnet().equals(lease.subnet())) {
        leased.add(l.subnet());
      }
    }
    for (Route r : OverlayRoutes.unleased(table, config, linkIndex, leased)) {
      log.info("Removing stale route {} via {}: no lease for it", r.dst(), r.gateway());
      deleteQuietly(r);
    }
  }

  @Override
  public void onEvents(List<LeaseEvent> events) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      List<Route> added = new ArrayList<>();
      for (LeaseEvent e : LeaseEvent.lastPerSubnet(events)) {
        Ip4Net subnet = e.lease().subnet();
        if (e.type() == LeaseEvent.Type.REMOVED) {
          Route known = routes.remove(subnet);
          Route r = known != null ? known : routeFor(e.lease());
          if (known != null || "host-gw".equals(e.lease().attrs().backendType())) {
            log.debug("Subnet removed: {}", subnet);
            deleteQuietly(r);
          }
          continue;
        }
        Route r = toRoute(e.lease());
        Route old = r == null ? routes.remove(subnet) : routes.put(subnet, r);
        if (old != null && r == null) {
          deleteQuietly(old); // the node switched to another backend type
        }
        if (r != null) {
          added.add(r);
        }
      }
      program(added);
      if (!added.isEmpty()) {
        for (Route r : added) {
          conflictCheck.add((Ip4Net) r.dst());
        }
        checker.wake();
      }
    }
  }

  /** Returns the route for a host-gw lease, or null (warning once) for another backend type. */
  private Route toRoute(Lease l) {
    if (l.subnet().equals(lease.subnet()) || l.subnet().isEmpty()) {
      return null; // our own lease (the agent filters it, a direct user may not) or v6-only
    }
    String type = l.attrs().backendType();
    if (!"host-gw".equals(type)) {
      if (ignored.add(l.subnet() + "/" + type)) {
        log.warn("Ignoring non-host-gw subnet: type={}, subnet={}", type, l.subnet());
      }
      return null;
    }
    ignored.removeIf(k -> k.startsWith(l.subnet() + "/"));
    return routeFor(l);
  }

  private Route routeFor(Lease l) {
    return Route.builder(l.subnet()).withGateway(l.attrs().publicIp()).withLinkIndex(linkIndex).build();
  }

  /** Adds or replaces routes with one pipelined batch. */
  private void program(Collection<Route> list) {
    if (list.isEmpty()) {
      return;
    }
    try {
      nl.routeReplaceAll(new ArrayList<>(list));
    } catch (NetlinkException batchFailure) {
      // Find out which ones failed: replace is idempotent, so redoing the good ones is harmless.
      for (Route r : list) {
        try {
          nl.routeReplace(r);
        } catch (NetlinkException e) {
          log.error("Error adding route to {} via {}: {}", r.dst(), r.gateway(), e.getMessage());
        }
      }
    }
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
      removeConflicting(wanted, nl.routeList(Family.V4));
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
      for (Ip4Net dst : conflictCheck) {
        Route r = routes.get(dst);
        if (r != null) {
          wanted.add(r);
        }
      }
      conflictCheck.clear();
      removeConflicting(wanted);
    }
  }

  private void deleteQuietly(Route r) {
    try {
      nl.routeDel(r);
    } catch (NetlinkNotFoundException e) {
      // already gone: what we wanted
    } catch (NetlinkException e) {
      if (!closed) {
        log.error("Error deleting route to {}: {}", r.dst(), e.getMessage());
      }
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
   * Re-adds every wanted route missing from the kernel table (flannel's {@code checkSubnetExistInV4Routes}).
   * Package-private so tests can run it at once.
   *
   * @throws NetlinkException if the table cannot be read
   */
  void checkRoutes() throws NetlinkException {
    synchronized (lock) {
      if (closed || routes.isEmpty()) {
        return;
      }
      for (Route r : RouteTable.missing(routes.values(), nl.routeList(Family.V4))) {
        try {
          nl.routeReplace(r);
          log.info("Route recovered {} : {}", r.dst(), r.gateway());
        } catch (NetlinkException e) {
          log.warn("Error recovering route to {} via {}: {}", r.dst(), r.gateway(), e.getMessage());
        }
      }
    }
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
