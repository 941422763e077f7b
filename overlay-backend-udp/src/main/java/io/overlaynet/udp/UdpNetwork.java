package io.overlaynet.udp;

import io.overlaynet.BackendException;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.TrafficStats;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.impl.WakeableLoop;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkEvent;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.OverlayRoutes;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.Subscription;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.udp.internal.Counters;
import io.overlaynet.udp.internal.PeerTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of a udp overlay: the TUN device ({@code flannel0}), the UDP socket(s) on the
 * configured port and the threads that carry every packet between them, with the peer table the
 * lease events maintain. Made by {@link UdpBackend#register}.
 *
 * <pre>{@code
 * UdpNetwork net = (UdpNetwork) agent.network().orElseThrow();
 * UdpStats stats = net.stats();             // packets, batching, drops by reason
 * net.close();                              // threads end, flannel0 disappears
 * }</pre>
 *
 * <p>Lease events may arrive from any thread; they replace the peer table atomically, so the
 * data path never waits for them. Beyond flanneld, a {@code flannel0} deleted from outside is
 * made again at once, with the data path restarted on it, and so is its route; a lost address or a
 * device set down comes back within {@link UdpOptions#checkInterval()}. Each repair, and each check
 * that ends well or fails, is told to the context's {@link ReconcileListener}.
 */
public final class UdpNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(UdpNetwork.class);
  /** While {@link RepairSeam} pauses the check, how often the loop looks whether it may run again. */
  private static final long PAUSED_POLL_MILLIS = 100;

  private final UdpPlane.Spec spec;
  private final ReconcileListener repairs;
  private final WakeableLoop checker;
  /** The current device and data path; replaced when the device is made again. Guarded by this. */
  private volatile UdpPlane plane;
  /** The peers, kept here so that a new data path starts with them. Guarded by this. */
  private PeerTable peers = PeerTable.EMPTY;
  /** The remote leases given, by key, for {@link #dataPlane()}. Guarded by this. */
  private final Map<String, Lease> leases = new LinkedHashMap<>();
  private NetlinkHandle nl;
  private Subscription linkWatch;
  private Subscription routeWatch;
  private boolean closed;

  UdpNetwork(UdpPlane.Spec spec, UdpPlane plane, ReconcileListener repairs) {
    this.spec = spec;
    this.plane = plane;
    this.repairs = repairs;
    this.checker = new WakeableLoop("overlaynet-check-" + plane.name(), woken -> checkRound());
  }

  /**
   * Starts watching the device: a netlink link watch (a deletion is acted on at once) and the
   * periodic check. Runs on the registering thread, inside the node's namespace, which the
   * netlink socket and the check thread inherit.
   */
  void start() throws NetlinkException {
    nl = NetlinkHandle.open();
    try {
      linkWatch = nl.subscribeLinks(SubscribeOptions.DEFAULT, new NetlinkListener<Link>() {
        @Override
        public void onEvent(NetlinkEvent<Link> event) {
          UdpPlane p = plane;
          if (event.type() == NetlinkEvent.Type.DEL && event.value().index() == p.index()) {
            checker.wake();
          }
        }

        @Override
        public void onError(NetlinkException error) {
          checker.wake(); // events were dropped: look now rather than at the next period
        }
      });
      // The route of the Network deleted (by hand, by a tool) is restored at once.
      routeWatch = OverlayRoutes.watchDeletions(nl, spec.network(), checker::wake);
    } catch (NetlinkException e) {
      if (linkWatch != null) {
        linkWatch.close();
      }
      nl.close();
      throw e;
    }
    checker.start(spec.options().checkInterval().toMillis());
  }

  @Override
  public Lease lease() {
    return spec.lease();
  }

  /** Returns the TUN MTU: the external interface MTU minus 28 (IPv4 + UDP headers). */
  @Override
  public int mtu() {
    return spec.mtu();
  }

  /** Returns the TUN device name the kernel gave, normally {@code flannel0}. */
  public String deviceName() {
    return plane.name();
  }

  /** Returns the UDP port datagrams are sent to and received on. */
  public int port() {
    return spec.port();
  }

  /** Returns the number of queues (TUN queues, sockets and thread pairs). */
  public int queues() {
    return plane.queues().size();
  }

  /** Returns the current peers: each remote subnet and the public IP its datagrams go to. */
  public Map<Ip4Net, Ip4> peers() {
    Map<Ip4Net, Ip4> m = new LinkedHashMap<>();
    for (PeerTable.Peer p : plane.dataPath().peers().peers()) {
      m.put(p.subnet(), p.publicIp());
    }
    return m;
  }

  /** Returns a snapshot of the counters since the network started (over every incarnation of the device). */
  public UdpStats stats() {
    Counters c = spec.counters();
    return new UdpStats(c.txPackets(), c.txBytes(), c.txCalls(), c.rxPackets(), c.rxBytes(), c.rxCalls(),
        c.rxWrites(), c.icmpSent(), c.drops());
  }

  /**
   * Returns the packet counters of {@link #stats()} in the agent's terms: drops by
   * {@link DropReason} name in lower case ({@code too_short}, {@code unknown_peer}...), every
   * reason present.
   */
  @Override
  public Optional<TrafficStats> traffic() {
    Counters c = spec.counters();
    Map<String, Long> drops = new LinkedHashMap<>();
    c.drops().forEach((reason, n) -> drops.put(reason.name().toLowerCase(Locale.ROOT), n));
    return Optional.of(new TrafficStats(c.txPackets(), c.txBytes(), c.rxPackets(), c.rxBytes(), drops));
  }

  /** Replaces the peer table with these leases (the node's own lease, if present, is ignored). */
  @Override
  public synchronized void onSnapshot(List<Lease> leases) {
    this.leases.clear();
    List<PeerTable.Peer> list = new ArrayList<>();
    for (Lease l : leases) {
      remember(l);
      PeerTable.Peer p = toPeer(l);
      if (p != null) {
        list.add(p);
      }
    }
    setPeers(PeerTable.of(list));
    log.debug("udp peers on {}: {}", plane.name(), list);
  }

  /** Adds or removes peers; events are not filtered by backend type, as in flannel's udp backend. */
  @Override
  public synchronized void onEvents(List<LeaseEvent> events) {
    PeerTable t = peers;
    for (LeaseEvent e : events) {
      if (e.type() == LeaseEvent.Type.ADDED) {
        remember(e.lease());
        PeerTable.Peer p = toPeer(e.lease());
        if (p != null) {
          t = t.with(p);
        }
      } else {
        leases.remove(e.lease().key());
        t = t.without(e.lease().subnet());
      }
    }
    setPeers(t);
  }

  /** Keeps a remote lease for {@link #dataPlane()}, whether or not it makes a peer. */
  private void remember(Lease l) {
    if (!l.key().equals(spec.lease().key())) {
      leases.put(l.key(), l);
    }
  }

  private void setPeers(PeerTable t) {
    peers = t;
    plane.dataPath().setPeers(t);
  }

  private PeerTable.Peer toPeer(Lease l) {
    // flannel's udp backend reads only PublicIP; a lease without an IPv4 subnet or address
    // (IPv6-only node) or this node's own lease has nothing to route to.
    if (l.subnet().isEmpty() || l.attrs().publicIp().isUnspecified() || l.subnet().equals(spec.lease().subnet())) {
      return null;
    }
    return new PeerTable.Peer(l.subnet(), l.attrs().publicIp());
  }

  /** One round of the check; after a failure, the next round comes within a second. */
  private long checkRound() {
    long interval = spec.options().checkInterval().toMillis();
    if (RepairSeam.paused()) {
      // A test is looking at the drift: check as soon as the seam lets it, not a whole period later.
      return Math.min(PAUSED_POLL_MILLIS, interval);
    }
    try {
      check();
      return interval;
    } catch (Exception e) {
      synchronized (this) {
        if (closed) {
          return interval;
        }
      }
      log.warn("checking {} failed (retrying in 1 s): {}", plane.name(), e.getMessage());
      return Math.min(1000, interval);
    }
  }

  /**
   * Makes the device again if it was deleted (or replaced) from outside, with the data path
   * restarted on it and the peers kept; restores a lost address, MTU or route, or a device set
   * down; tells the {@link ReconcileListener} what it put right and whether the check ended well.
   * Package-private so tests can run it at once.
   *
   * @throws Exception if the kernel cannot be read or the device not made
   */
  synchronized void check() throws Exception {
    if (closed) {
      return;
    }
    try {
      repair();
    } catch (Exception e) {
      if (!closed) {
        repairs.onReconcileFailed(e);
      }
      throw e;
    }
    repairs.onReconciled();
  }

  /** The work of {@link #check()}; the caller holds the lock. */
  private void repair() throws Exception {
    UdpPlane p = plane;
    Link link = linkNamed(p.name());
    if (link == null || link.index() != p.index()) {
      log.warn("{} was {}; making it again and restarting the data path", p.name(),
          link == null ? "deleted" : "replaced (index " + p.index() + " -> " + link.index() + ")");
      if (!p.close()) {
        // Its threads may still use the fds: the next round tries again.
        throw new BackendException("udp data path of " + p.name() + " did not stop within 5 s; cannot make the"
            + " device again");
      }
      plane = UdpPlane.open(spec, p.offload(), peers);
      log.info("{} made again (index {}) with {} peers", plane.name(), plane.index(), peers.size());
      repairs.onRepaired(RepairKind.DEVICE_RECREATED, 1);
      return;
    }
    UdpPlane.Health h = p.health(nl, link, spec);
    if (!h.faults().isEmpty()) {
      UdpPlane.configure(p.name(), spec.lease(), spec.network(), spec.mtu());
      log.info("{}: restored {}", p.name(), String.join(", ", h.faults()));
      if (h.device() != Drift.OK) {
        repairs.onRepaired(RepairKind.DEVICE_RESTORED, 1);
      }
      if (h.route() != Drift.OK) {
        repairs.onRepaired(RepairKind.ROUTE_RESTORED, 1);
      }
    }
  }

  /** Returns the device named {@code name} now, or null if there is none. */
  private Link linkNamed(String name) throws NetlinkException {
    try {
      return nl.linkByName(name);
    } catch (NetlinkNotFoundException e) {
      return null;
    }
  }

  /**
   * Returns, per remote lease, what its packets need, as it stands now: its entry in the peer
   * table the data path routes by ({@code peer}, {@code 10.5.3.0/24 -> 192.0.2.13:8285}), then the
   * two kernel objects every peer shares: the {@code route} of the Network into the device
   * ({@code 10.5.0.0/16 dev flannel0}) and the {@code device} itself, up with its address and MTU
   * ({@code flannel0 10.5.1.0/32 mtu 1472 up}). The shared objects are listed in every peer because
   * a fault of theirs cuts every peer off: a deleted route shows as a {@code MISSING} route in each.
   * A lease that makes no peer (no IPv4 subnet or public IP) has no entries. Nothing is ever stale:
   * the backend keeps no kernel object per peer, and the peer table is replaced whole. There is no
   * per-peer programming to fail, so {@code lastError} is empty; a failing check shows in the
   * agent's state.
   *
   * <p>The leases and peer table are copied under the lock and the kernel read outside it (a link
   * lookup, an address and a route dump), so lease events never wait for a status query.
   *
   * @throws BackendException if the kernel cannot be read
   */
  @Override
  public DataPlaneView dataPlane() {
    List<Lease> remote;
    UdpPlane p;
    synchronized (this) {
      remote = List.copyOf(leases.values());
      p = plane;
    }
    PeerTable live = p.dataPath().peers();
    UdpPlane.Health h;
    try {
      h = p.health(nl, linkNamed(p.name()), spec);
    } catch (NetlinkException e) {
      throw new BackendException("udp: cannot read " + p.name() + ": " + e.getMessage(), e);
    }
    List<DataPlaneEntry> shared = List.of(
        new DataPlaneEntry("route", spec.network() + " dev " + p.name(), h.route()),
        new DataPlaneEntry("device", p.name() + " " + spec.lease().subnet().address() + "/32 mtu " + spec.mtu()
            + " up", h.device()));
    List<PeerStatus> out = new ArrayList<>(remote.size());
    for (Lease l : remote) {
      PeerTable.Peer want = toPeer(l);
      List<DataPlaneEntry> entries = new ArrayList<>(3);
      if (want != null) {
        entries.add(new DataPlaneEntry("peer", want.subnet() + " -> " + want.publicIp() + ":" + spec.port(),
            drift(want, live.get(want.subnet()))));
        entries.addAll(shared);
      }
      out.add(new PeerStatus(l, entries, Optional.empty()));
    }
    return new DataPlaneView(out, List.of());
  }

  /** How the data path's table holds a wanted peer: the same, another public IP, or none. */
  private static Drift drift(PeerTable.Peer want, PeerTable.Peer have) {
    if (have == null) {
      return Drift.MISSING;
    }
    return have.equals(want) ? Drift.OK : Drift.WRONG;
  }

  /**
   * Stops the data path and removes the TUN device (with its address and route), like flanneld,
   * whose {@code flannel0} is not persistent; returns within milliseconds (5 s at most). Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (linkWatch != null) {
      linkWatch.close();
    }
    if (routeWatch != null) {
      routeWatch.close();
    }
    // Outside the lock: a check in progress finishes first (it holds the lock), then sees closed.
    checker.close();
    synchronized (this) {
      if (nl != null) {
        nl.close();
      }
      UdpPlane p = plane;
      if (!p.close()) {
        log.error("udp data path of {} did not stop within 5 s; leaving its fds open", p.name());
        return;
      }
      spec.sockets().forEach(UdpSocket::close);
      log.info("udp network on {} stopped; {}", p.name(), stats());
    }
  }

  @Override
  public String toString() {
    return "UdpNetwork{" + plane.name() + ", lease=" + spec.lease().subnet() + ", port=" + spec.port() + ", mtu="
        + spec.mtu() + "}";
  }
}
