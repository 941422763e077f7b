package io.overlaynet.vxlan;

import io.overlaynet.BackendException;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.impl.Backoff;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.impl.WakeableLoop;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkEvent;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered vxlan backend of one node: programs a neighbour entry, an FDB entry and an onlink
 * route per remote lease and address family (or a direct route with DirectRouting), exactly as
 * flanneld's {@code vxlan_network.go}: the IPv4 part of a lease on {@code flannel.<VNI>}, the IPv6
 * part ({@code IPv6Subnet}, {@code PublicIPv6}, {@code BackendV6Data}) on {@code flannel-v6.<VNI>}.
 * Beyond flanneld it recreates a deleted device and restores missing entries periodically.
 *
 * <p>All kernel writes happen under one lock: lease callbacks (the subnet manager's thread) and
 * the maintenance thread never interleave. The netlink socket lives in the namespace where the
 * backend registered, so any thread may use it; the maintenance thread is started from the
 * registering thread and so lives there too (it may need {@code /proc/sys} of that namespace).
 */
final class VxlanNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(VxlanNetwork.class);

  private final NetlinkHandle nl;
  /** The IPv4 plane ({@code flannel.<VNI>}), or null when IPv4 is disabled. */
  private final VxlanPlane v4;
  /** The IPv6 plane ({@code flannel-v6.<VNI>}), or null when IPv6 is disabled. */
  private final VxlanPlane v6;
  private final List<VxlanPlane> planes;
  private final Lease lease;
  private final int mtu;
  private final VxlanOptions options;

  private final Object lock = new Object();
  /** Leases already warned about for a foreign backend type; guarded by {@link #lock}. */
  private final Set<String> ignored = new HashSet<>();
  /** The remote leases as last given, by key, for {@link #dataPlane()}; guarded by {@link #lock}. */
  private final Map<String, Lease> given = new LinkedHashMap<>();
  private final ReconcileListener repairs;

  private final WakeableLoop maintainer;
  /** The wait after a failed reconciliation (1 s doubling up to the period); the maintainer's thread only. */
  private final Backoff retry;
  private volatile boolean closed;
  private Subscription linkWatch;
  private Subscription routeWatch;

  /** Makes the network over its planes, at least one; {@code mtu} is what {@code FLANNEL_MTU} says. */
  VxlanNetwork(NetlinkHandle nl, VxlanPlane v4, VxlanPlane v6, Lease lease, int mtu, VxlanOptions options,
      ReconcileListener repairs) {
    this.nl = nl;
    this.repairs = repairs;
    this.v4 = v4;
    this.v6 = v6;
    List<VxlanPlane> both = new ArrayList<>(2);
    if (v4 != null) {
      both.add(v4);
    }
    if (v6 != null) {
      both.add(v6);
    }
    if (both.isEmpty()) {
      throw new IllegalArgumentException("a vxlan network needs an IPv4 or an IPv6 device");
    }
    this.planes = List.copyOf(both);
    this.lease = lease;
    this.mtu = mtu;
    this.options = options;
    this.maintainer = new WakeableLoop("overlaynet-vxlan-" + planes.get(0).name(), woken -> maintainRound());
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
          for (VxlanPlane p : planes) {
            boolean ours = l.name().equals(p.name()) || l.index() == p.deviceIndex();
            if (ours && (event.type() == NetlinkEvent.Type.DEL || l.index() != p.deviceIndex())) {
              wake();
            }
          }
        }

        @Override
        public void onError(NetlinkException error) {
          wake(); // events were dropped: check the devices now rather than at the next period
        }
      });
      // A route of the Network(s) deleted (by hand, by a tool) is restored at once rather than at
      // the next period; the deletions this backend makes itself cost one reconciliation.
      try {
        routeWatch = OverlayRoutes.watchDeletions(nl, planes.stream().map(VxlanPlane::network).toList(), this::wake);
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

  /** Returns the current index of {@code flannel.<VNI>} (it changes when the device is recreated), or 0. */
  int deviceIndex() {
    return v4 == null ? 0 : v4.deviceIndex();
  }

  /** Returns the current index of {@code flannel-v6.<VNI>}, or 0 without IPv6. */
  int deviceIndex6() {
    return v6 == null ? 0 : v6.deviceIndex();
  }

  // ------------------------------------------------------------------ lease events

  @Override
  public void onSnapshot(List<Lease> leases) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      given.clear();
      for (Lease l : leases) {
        if (!isOwn(l)) {
          given.put(l.key(), l);
        }
      }
      Map<VxlanPlane, List<Peer>> fresh = new HashMap<>();
      Map<VxlanPlane, Set<IpNet>> leased = new HashMap<>();
      for (VxlanPlane p : planes) {
        fresh.put(p, new ArrayList<>());
        leased.put(p, new HashSet<>());
      }
      for (Lease l : leases) {
        if (isOwn(l)) {
          continue;
        }
        boolean vxlan = isVxlan(l, true);
        for (VxlanPlane p : planes) {
          subnetOf(p, l).ifPresent(leased.get(p)::add);
          Peer peer = vxlan ? toPeer(p, l, true) : null;
          if (peer != null) {
            fresh.get(p).add(peer);
          }
        }
      }
      for (VxlanPlane p : planes) {
        p.replaceAll(fresh.get(p), leased.get(p));
      }
    }
  }

  @Override
  public void onEvents(List<LeaseEvent> events) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      Map<VxlanPlane, List<Peer>> added = new HashMap<>();
      planes.forEach(p -> added.put(p, new ArrayList<>()));
      for (LeaseEvent e : LeaseEvent.lastPerSubnet(events)) {
        Lease l = e.lease();
        if (isOwn(l)) {
          continue;
        }
        boolean removed = e.type() == LeaseEvent.Type.REMOVED;
        if (removed) {
          given.remove(l.key());
        } else {
          given.put(l.key(), l);
        }
        boolean vxlan = isVxlan(l, !removed);
        for (VxlanPlane p : planes) {
          Optional<IpNet> subnet = subnetOf(p, l);
          if (subnet.isEmpty()) {
            continue;
          }
          if (removed) {
            // Unknown (e.g. it failed to decode before): derive what flannel would have programmed.
            p.remove(subnet.get(), vxlan ? toPeer(p, l, false) : null);
            continue;
          }
          Peer peer = p.update(subnet.get(), vxlan ? toPeer(p, l, true) : null);
          if (peer != null) {
            log.debug("adding subnet: {}", peer);
            added.get(p).add(peer);
          }
        }
      }
      for (VxlanPlane p : planes) {
        p.program(added.get(p));
      }
    }
  }

  /** Our own lease (the agent filters it, a direct user may not). */
  private boolean isOwn(Lease l) {
    return l.key().equals(lease.key());
  }

  /** Returns the lease's subnet of the plane's family, if it has one that is not ours. */
  private Optional<IpNet> subnetOf(VxlanPlane p, Lease l) {
    if (p == v4) {
      return l.subnet().isEmpty() || l.subnet().equals(lease.subnet()) ? Optional.empty() : Optional.of(l.subnet());
    }
    return l.ipv6Subnet().filter(s -> !s.isEmpty() && !Optional.of(s).equals(lease.ipv6Subnet())).<IpNet>map(s -> s);
  }

  /** Returns whether the lease is a vxlan lease; warns once per lease otherwise. */
  private boolean isVxlan(Lease l, boolean warn) {
    String type = l.attrs().backendType();
    if (!VxlanBackend.TYPE.equals(type)) {
      if (warn && ignored.add(l.key() + "/" + type)) {
        log.warn("ignoring non-vxlan v4Subnet({}) v6Subnet({}): type={}", l.subnet(),
            l.ipv6Subnet().map(Object::toString).orElse("<nil>"), type);
      }
      return false;
    }
    ignored.removeIf(k -> k.startsWith(l.key() + "/"));
    return true;
  }

  /**
   * Decodes the plane's part of a vxlan lease into a peer: IPv4 from {@code BackendData} and
   * {@code PublicIP}, IPv6 from {@code BackendV6Data} and {@code PublicIPv6}; null (with an error
   * logged if {@code warn}) when that part is missing or malformed.
   */
  private Peer toPeer(VxlanPlane p, Lease l, boolean warn) {
    IpNet subnet = subnetOf(p, l).orElse(null);
    if (subnet == null) {
      return null;
    }
    boolean v6Part = p == v6;
    Optional<String> json = v6Part ? l.attrs().backendV6Data() : l.attrs().backendData();
    String what = v6Part ? "BackendV6Data" : "BackendData";
    if (json.isEmpty()) {
      if (warn) {
        log.error("error decoding {}subnet lease JSON: {} has no {}", v6Part ? "v6 " : "", subnet, what);
      }
      return null;
    }
    VtepData data;
    try {
      data = VtepData.parse(json.get());
    } catch (IllegalArgumentException e) {
      if (warn) {
        log.error("error decoding {}subnet lease JSON of {}: {}", v6Part ? "v6 " : "", subnet, e.getMessage());
      }
      return null;
    }
    if (v6Part) {
      Optional<Ip6> publicIpv6 = l.attrs().publicIpv6();
      if (publicIpv6.isEmpty() || publicIpv6.get().isUnspecified()) {
        if (warn) {
          log.error("v6 subnet {} has BackendV6Data but no PublicIPv6; ignoring its IPv6 part", subnet);
        }
        return null;
      }
      return new Peer(subnet, publicIpv6.get(), data.vtepMac(), p.isDirect(publicIpv6.get()));
    }
    return new Peer(subnet, l.attrs().publicIp(), data.vtepMac(), p.isDirect(l.attrs().publicIp()));
  }

  // ------------------------------------------------------------------ status

  /**
   * Per remote lease, its route, ARP/NDP and FDB entry on each device with their drift; a lease of
   * another backend type, or whose data did not decode, has none. Stale: what the devices hold
   * that no lease backs. The wanted state is copied under the lock; the kernel is read outside
   * it, so lease events are not held up by a status query.
   */
  @Override
  public DataPlaneView dataPlane() {
    List<VxlanPlane.Wanted> wanted = new ArrayList<>(planes.size());
    List<Lease> remote;
    synchronized (lock) {
      planes.forEach(p -> wanted.add(p.wanted()));
      remote = List.copyOf(given.values());
    }
    List<PeerStatus> peers = new ArrayList<>(remote.size());
    List<DataPlaneEntry> stale = new ArrayList<>();
    Map<VxlanPlane, VxlanPlane.Status> status = new HashMap<>();
    try {
      for (VxlanPlane.Wanted w : wanted) {
        VxlanPlane p = w.plane();
        Set<IpNet> leased = new HashSet<>();
        remote.forEach(l -> subnetOf(p, l).ifPresent(leased::add));
        VxlanPlane.Status st = p.status(w, leased);
        status.put(p, st);
        stale.addAll(st.stale());
      }
    } catch (NetlinkException e) {
      throw new BackendException("vxlan: cannot read the kernel's state: " + e.getMessage(), e);
    }
    for (Lease l : remote) {
      List<DataPlaneEntry> entries = new ArrayList<>();
      List<String> errors = new ArrayList<>(2);
      for (VxlanPlane.Wanted w : wanted) {
        Optional<IpNet> subnet = subnetOf(w.plane(), l);
        if (subnet.isEmpty() || !w.peers().containsKey(subnet.get())) {
          continue;
        }
        entries.addAll(status.get(w.plane()).entries().getOrDefault(subnet.get(), List.of()));
        VxlanPlane.error(w, subnet.get()).ifPresent(e -> errors.add(w.plane().name() + ": " + e));
      }
      peers.add(new PeerStatus(l, entries, errors.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", errors))));
    }
    return new DataPlaneView(peers, stale);
  }

  // ------------------------------------------------------------------ maintenance

  private void wake() {
    maintainer.wake();
  }

  /** One round of maintenance: reconcile; after a failure retry sooner, with back-off. */
  private long maintainRound() {
    long interval = options.reconcileInterval().toMillis();
    if (RepairSeam.paused()) {
      return interval;
    }
    try {
      int failed = reconcile();
      if (failed > 0) {
        throw new BackendException(failed + " subnets could not be programmed");
      }
      retry.reset();
      repairs.onReconciled();
      return interval;
    } catch (NetlinkException | RuntimeException e) {
      if (closed) {
        return interval;
      }
      repairs.onReconcileFailed(e);
      // Retry soon with backoff (1 s doubling up to the period), e.g. while the underlay is away.
      long wait = retry.nextMillis();
      log.warn("reconciling {} failed (retrying in {} ms): {}", planes, wait, e.getMessage());
      return wait;
    }
  }

  /**
   * Checks each device and every peer's objects; recreates a deleted device and re-programs its
   * peers; restores missing or changed entries. Package-private so tests can run it at once. Each
   * family is reconciled even if the other one fails.
   *
   * @return how many peers could not be programmed
   * @throws NetlinkException if the kernel cannot be read or a device not recreated
   */
  int reconcile() throws NetlinkException {
    synchronized (lock) {
      if (closed) {
        return 0;
      }
      NetlinkException first = null;
      int failed = 0;
      for (VxlanPlane p : planes) {
        try {
          failed += p.reconcile();
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
      return failed;
    }
  }

  // ------------------------------------------------------------------ close

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    planes.forEach(VxlanPlane::markClosed);
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
    return "VxlanNetwork{" + planes + ", lease=" + lease.key() + ", mtu=" + mtu + "}";
  }
}
