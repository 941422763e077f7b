package io.overlaynet.vxlan;

import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.NetworkConfig;
import io.overlaynet.ip.Ip4;
import io.overlaynet.impl.Backoff;
import io.overlaynet.impl.WakeableLoop;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkEvent;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.Subscription;
import io.overlaynet.netlink.VxlanInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered vxlan backend of one node: programs an ARP entry, an FDB entry and an onlink
 * route per remote lease (or a direct route with DirectRouting), exactly as flanneld's
 * {@code vxlan_network.go}; beyond flanneld it recreates a deleted device and restores missing
 * entries periodically.
 *
 * <p>All kernel writes happen under one lock: lease callbacks (the subnet manager's thread) and
 * the maintenance thread never interleave. The netlink socket lives in the namespace where the
 * backend registered, so any thread may use it; the maintenance thread is started from the
 * registering thread and so lives there too (it may need {@code /proc/sys} of that namespace).
 */
final class VxlanNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(VxlanNetwork.class);

  private final NetlinkHandle nl;
  private final VxlanDevice.Spec spec;
  private final VxlanConfig config;
  private final NetworkConfig netConfig;
  private final Ip4Net network;
  /** The underlay interface, where DirectRouting routes go. */
  private final int extIndex;
  private final Lease lease;
  private final int mtu;
  private final VxlanOptions options;

  private final Object lock = new Object();
  /** The wanted peers by subnet; guarded by {@link #lock}. */
  private final Map<Ip4Net, Peer> peers = new HashMap<>();
  /** Subnets already warned about for a foreign backend type; guarded by {@link #lock}. */
  private final Set<String> ignored = new HashSet<>();
  private volatile int devIndex;

  private final WakeableLoop maintainer;
  /** The wait after a failed reconciliation (1 s doubling up to the period); the maintainer's thread only. */
  private final Backoff retry;
  private volatile boolean closed;
  private Subscription linkWatch;
  private Subscription routeWatch;

  VxlanNetwork(NetlinkHandle nl, VxlanDevice.Spec spec, VxlanConfig config, NetworkConfig netConfig, Lease lease,
      int devIndex, VxlanOptions options) {
    this.nl = nl;
    this.spec = spec;
    this.config = config;
    this.netConfig = netConfig;
    this.network = netConfig.network();
    this.extIndex = spec.vtepDevIndex();
    this.lease = lease;
    this.mtu = spec.mtu();
    this.devIndex = devIndex;
    this.options = options;
    this.maintainer = new WakeableLoop("overlaynet-vxlan-" + spec.name(), woken -> maintainRound());
    long interval = options.reconcileInterval().toMillis();
    this.retry = new Backoff(Duration.ofMillis(Math.min(1000, interval)), Duration.ofMillis(interval));
  }

  /**
   * Starts the link watch and the maintenance thread. Must be called on a thread inside the
   * backend's namespace: the new thread inherits it.
   */
  void start() throws NetlinkException {
    if (options.watchLink()) {
      linkWatch = nl.subscribeLinks(SubscribeOptions.DEFAULT, new NetlinkListener<Link>() {
        @Override
        public void onEvent(NetlinkEvent<Link> event) {
          Link l = event.value();
          boolean ours = l.name().equals(spec.name()) || l.index() == devIndex;
          if (ours && (event.type() == NetlinkEvent.Type.DEL || l.index() != devIndex)) {
            wake();
          }
        }

        @Override
        public void onError(NetlinkException error) {
          wake(); // events were dropped: check the device now rather than at the next period
        }
      });
      // A route of the Network deleted (by hand, by a tool) is restored at once rather than at
      // the next period; the deletions this backend makes itself cost one reconciliation.
      try {
        routeWatch = OverlayRoutes.watchDeletions(nl, network, this::wake);
      } catch (NetlinkException e) {
        linkWatch.close(); // a subscription has a socket and a thread of its own
        throw e;
      }
    }
    maintainer.start(options.reconcileInterval().toMillis());
  }

  @Override
  public Lease lease() {
    return lease;
  }

  @Override
  public int mtu() {
    return mtu;
  }

  /** Returns the current index of the device (it changes when the device is recreated). */
  int deviceIndex() {
    return devIndex;
  }

  // ------------------------------------------------------------------ lease events

  @Override
  public void onSnapshot(List<Lease> leases) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      Map<Ip4Net, Peer> fresh = new LinkedHashMap<>();
      for (Lease l : leases) {
        Peer p = toPeer(l, true);
        if (p != null) {
          fresh.put(p.subnet(), p);
        }
      }
      List<Peer> gone = new ArrayList<>();
      for (Peer old : peers.values()) {
        Peer now = fresh.get(old.subnet());
        if (now == null || !now.equals(old)) {
          gone.add(old);
        }
      }
      unprogramAll(gone);
      peers.clear();
      peers.putAll(fresh);
      Set<Ip4Net> leased = new HashSet<>();
      leases.stream().filter(l -> !l.subnet().equals(lease.subnet())).forEach(l -> leased.add(l.subnet()));
      removeStale(leased);
      program(fresh.values());
    }
  }

  @Override
  public void onEvents(List<LeaseEvent> events) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      List<Peer> added = new ArrayList<>();
      for (LeaseEvent e : LeaseEvent.lastPerSubnet(events)) {
        if (e.type() == LeaseEvent.Type.REMOVED) {
          remove(e.lease());
          continue;
        }
        Peer p = toPeer(e.lease(), true);
        Peer old = p == null ? peers.remove(e.lease().subnet()) : peers.put(p.subnet(), p);
        if (old != null && !old.equals(p)) {
          // A new MAC or public IP (the node was rebuilt) or a switch to another backend type:
          // the old FDB entry and route form would otherwise stay behind.
          unprogram(old);
        }
        if (p != null) {
          log.debug("adding subnet: {}", p);
          added.add(p);
        }
      }
      program(added);
    }
  }

  private void remove(Lease l) {
    Peer known = peers.remove(l.subnet());
    // Unknown (e.g. it failed to decode before): derive what flannel would have programmed.
    Peer p = known != null ? known : toPeer(l, false);
    if (p != null) {
      log.debug("removing subnet: {}", p);
      unprogram(p);
    }
  }

  /** Decodes a lease into a peer, or returns null (and warns once) if it is not a vxlan lease. */
  private Peer toPeer(Lease l, boolean warn) {
    if (l.subnet().equals(lease.subnet()) || l.subnet().isEmpty()) {
      return null; // our own lease (the agent filters it, a direct user may not) or v6-only
    }
    String type = l.attrs().backendType();
    String key = l.subnet() + "/" + type;
    if (!"vxlan".equals(type)) {
      if (warn && ignored.add(key)) {
        log.warn("ignoring non-vxlan v4Subnet({}): type={}", l.subnet(), type);
      }
      return null;
    }
    ignored.removeIf(k -> k.startsWith(l.subnet() + "/"));
    if (l.attrs().backendData().isEmpty()) {
      if (warn) {
        log.error("error decoding subnet lease JSON: {} has no BackendData", l.subnet());
      }
      return null;
    }
    VtepData data;
    try {
      data = VtepData.parse(l.attrs().backendData().get());
    } catch (IllegalArgumentException e) {
      if (warn) {
        log.error("error decoding subnet lease JSON of {}: {}", l.subnet(), e.getMessage());
      }
      return null;
    }
    Ip4 publicIp = l.attrs().publicIp();
    return new Peer(l.subnet(), publicIp, data.vtepMac(), config.directRouting() && isDirect(publicIp));
  }

  private boolean isDirect(Ip4 publicIp) {
    try {
      return KernelState.isDirect(nl.routeGet(publicIp));
    } catch (NetlinkException e) {
      log.debug("ip route get {} failed: {}", publicIp, e.getMessage());
      return false;
    }
  }

  // ------------------------------------------------------------------ kernel writes (under lock)

  /**
   * Programs peers with three pipelined batches: every ARP entry, then every FDB entry, then every
   * route (so each peer's entries are in place before its route, as in flannel). If a batch
   * reports a failure, the peers are redone one by one, where, as in flannel, a failed FDB write
   * removes the ARP entry and a failed route removes both, so no half-programmed peer stays; the
   * periodic check retries later. Every write replaces, so redoing the good ones is harmless.
   *
   * @return how many peers failed
   */
  private int program(Collection<Peer> list) {
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
      return 0;
    } catch (NetlinkException batchFailure) {
      log.debug("batch programming of {} subnets failed ({}); redoing them one by one", list.size(),
          batchFailure.getMessage());
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
          failed++;
          continue;
        }
        try {
          nl.fdbSet(p.fdb(index));
        } catch (NetlinkException e) {
          log.error("AddFDB failed for {}: {}", p, e.getMessage());
          quietly(() -> nl.neighDel(p.neighbor(index)));
          failed++;
          continue;
        }
      }
      try {
        nl.routeReplace(p.route(index));
      } catch (NetlinkException e) {
        log.error("failed to add vxlanRoute ({} -> {}): {}", p.subnet(), p.direct() ? p.publicIp() : p.vtepIp(),
            e.getMessage());
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
   * Removes many objects with pipelined batches (routes first, then ARP, then FDB entries); an
   * absent one is fine. If a batch reports any failure, its items are retried one by one so that
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
   * Removes what this backend programmed for leases that are gone (expired or deleted while no
   * agent ran): on {@code flannel.<VNI>}, every route, permanent ARP and FDB entry of no wanted
   * peer (the device is ours alone); with DirectRouting, on the underlay interface, the direct
   * routes of subnets no other node's lease names, by {@link OverlayRoutes#isOwned}'s rule, so
   * nothing else there is touched.
   */
  private void removeStale(Set<Ip4Net> leased) {
    try {
      KernelState k = readKernel(devIndex);
      Collection<Peer> wanted = peers.values();
      List<Route> routes = new ArrayList<>(k.staleRoutes(wanted, network));
      if (config.directRouting()) {
        // Only with DirectRouting does this backend write routes on the underlay interface.
        routes.addAll(OverlayRoutes.unleased(k.routes(), netConfig, extIndex, leased));
      }
      List<Neighbor> arp = k.staleNeighbors(wanted);
      List<FdbEntry> fdb = k.staleFdb(wanted);
      for (Route r : routes) {
        log.info("removing stale route {} via {}", r.dst(), r.gateway());
      }
      for (Neighbor n : arp) {
        log.info("removing stale ARP entry {} lladdr {}", n.ip(), n.mac());
      }
      for (FdbEntry e : fdb) {
        log.info("removing stale FDB entry {} dst {}", e.mac(), e.dst());
      }
      removeAll(routes, arp, fdb);
    } catch (NetlinkException e) {
      log.warn("could not list {}'s entries to remove stale ones: {}", spec.name(), e.getMessage());
    }
  }

  private KernelState readKernel(int index) throws NetlinkException {
    return new KernelState(index, nl.routeList(Family.V4), nl.neighList(index, Family.V4), nl.fdbList(index));
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

  // ------------------------------------------------------------------ maintenance

  private void wake() {
    maintainer.wake();
  }

  /** One round of maintenance: reconcile; after a failure retry sooner, with back-off. */
  private long maintainRound() {
    long interval = options.reconcileInterval().toMillis();
    try {
      reconcile();
      retry.reset();
      return interval;
    } catch (NetlinkException | RuntimeException e) {
      if (closed) {
        return interval;
      }
      // Retry soon with backoff (1 s doubling up to the period), e.g. while the underlay is away.
      long wait = retry.nextMillis();
      log.warn("reconciling {} failed (retrying in {} ms): {}", spec.name(), wait, e.getMessage());
      return wait;
    }
  }

  /**
   * Checks the device and every peer's objects; recreates a deleted device and re-programs all
   * peers; restores missing or changed entries. Package-private so tests can run it at once.
   *
   * @throws NetlinkException if the kernel cannot be read or the device not recreated
   */
  void reconcile() throws NetlinkException {
    synchronized (lock) {
      if (closed) {
        return;
      }
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
        Link created = VxlanDevice.ensure(nl, spec);
        Link ready = VxlanDevice.configure(nl, created, lease.subnet().address(), network, spec.mtu(), spec.mac());
        VxlanDevice.disableAcceptRa(nl, spec.name());
        devIndex = ready.index();
        int failed = program(new ArrayList<>(peers.values()));
        log.info("{} recreated (index {}); {} subnets re-programmed, {} failed", spec.name(), devIndex,
            peers.size() - failed, failed);
        return;
      }
      // Present: keep it up, addressed and with the MAC our lease publishes.
      VxlanDevice.configure(nl, dev, lease.subnet().address(), network, 0, spec.mac());
      if (peers.isEmpty()) {
        return;
      }
      List<Peer> broken = readKernel(devIndex).needsRepair(peers.values());
      if (!broken.isEmpty()) {
        for (Peer p : broken) {
          log.info("Route recovered {} : {}", p.subnet(), p.direct() ? p.publicIp() : p.vtepIp() + " dev " + spec.name());
        }
        program(broken);
      }
    }
  }

  // ------------------------------------------------------------------ close

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (linkWatch != null) {
      linkWatch.close();
    }
    if (routeWatch != null) {
      routeWatch.close();
    }
    maintainer.close();
    // Like flanneld: the device, routes, ARP and FDB entries stay, so traffic survives a restart.
    nl.close();
  }

  @Override
  public String toString() {
    return "VxlanNetwork{" + spec.name() + ", lease=" + lease.subnet() + ", mtu=" + mtu + "}";
  }
}
