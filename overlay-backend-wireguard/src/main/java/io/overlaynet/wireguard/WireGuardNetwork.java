package io.overlaynet.wireguard;

import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.PeerStatus;
import io.overlaynet.TrafficStats;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WgDevice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered wireguard backend of one node: per remote wireguard lease the peers
 * {@link PeerPlan} says (one on {@code flannel-wg}, and in separate mode one on
 * {@code flannel-wg-v6}), handed as a whole set to each device on every change. A lease whose
 * data does not give a peer it should is reported with the reason and changes nothing else.
 */
final class WireGuardNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(WireGuardNetwork.class);

  /** One WireGuard device and its peers, by lease key; guarded by the network. */
  static final class Plane {
    final String name;
    final WgDevice device;
    final Map<String, WgDevice.PeerConfig> peers = new LinkedHashMap<>();

    Plane(String name, WgDevice device) {
      this.name = name;
      this.device = device;
    }
  }

  private final Lease lease;
  private final int mtu;
  private final PeerPlan.Local local;
  /** {@code flannel-wg}, or null (separate mode without IPv4). */
  private final Plane main;
  /** {@code flannel-wg-v6}, or null (not separate mode, or no IPv6). */
  private final Plane v6;
  /** Every remote lease, for {@link #dataPlane()}; guarded by this. */
  private final Map<String, Lease> leases = new LinkedHashMap<>();
  /** Why a lease lacks a peer it should have; guarded by this. */
  private final Map<String, String> errors = new LinkedHashMap<>();
  private volatile boolean closed;

  WireGuardNetwork(Lease lease, int mtu, PeerPlan.Local local, Plane main, Plane v6) {
    this.lease = lease;
    this.mtu = mtu;
    this.local = local;
    this.main = main;
    this.v6 = v6;
  }

  @Override
  public Lease lease() {
    return lease;
  }

  @Override
  public int mtu() {
    return mtu;
  }

  private Stream<Plane> planes() {
    return Stream.of(main, v6).filter(p -> p != null);
  }

  @Override
  public synchronized void onSnapshot(List<Lease> snapshot) {
    planes().forEach(p -> p.peers.clear());
    leases.clear();
    errors.clear();
    snapshot.forEach(this::add);
    apply();
  }

  @Override
  public synchronized void onEvents(List<LeaseEvent> events) {
    for (LeaseEvent e : events) {
      if (e.type() == LeaseEvent.Type.ADDED) {
        add(e.lease());
      } else {
        remove(e.lease().key());
      }
    }
    apply();
  }

  private void remove(String key) {
    planes().forEach(p -> p.peers.remove(key));
    leases.remove(key);
    errors.remove(key);
  }

  private void add(Lease l) {
    if (l.key().equals(lease.key())) {
      return;
    }
    remove(l.key());
    leases.put(l.key(), l);
    if (!WireGuardBackend.TYPE.equals(l.attrs().backendType())) {
      return;
    }
    PeerPlan.Peers peers = PeerPlan.of(l, local);
    if (main != null) {
      peers.main().ifPresent(c -> main.peers.put(l.key(), c));
    }
    if (v6 != null) {
      peers.v6().ifPresent(c -> v6.peers.put(l.key(), c));
    }
    if (!peers.errors().isEmpty()) {
      String why = String.join("; ", peers.errors());
      errors.put(l.key(), why);
      log.error("wireguard: the lease of {} gives no or not every peer: {}", l.subnetsText(), why);
    }
  }

  private void apply() {
    if (!closed) {
      planes().forEach(p -> p.device.setPeers(new ArrayList<>(p.peers.values())));
    }
  }

  /**
   * Per remote lease and device: its peer in the device (public key, endpoint, allowed IPs; MISSING
   * if the device has no such peer) and whether a session is up (a handshake completed; MISSING
   * until the first packet for the peer makes one, or when handshakes fail). A lease that does not
   * give a peer it should says why; a peer a device holds for no current lease is STALE.
   */
  @Override
  public synchronized DataPlaneView dataPlane() {
    Map<Plane, Map<PublicKey, WgDevice.PeerState>> states = new HashMap<>();
    planes().forEach(p -> states.put(p, p.device.peerStates().stream()
        .collect(Collectors.toMap(WgDevice.PeerState::publicKey, s -> s, (a, b) -> a))));
    List<PeerStatus> out = new ArrayList<>();
    for (Lease l : leases.values()) {
      List<DataPlaneEntry> entries = new ArrayList<>();
      planes().forEach(p -> {
        WgDevice.PeerConfig c = p.peers.get(l.key());
        if (c == null) {
          return;
        }
        WgDevice.PeerState s = states.get(p).get(c.publicKey());
        String desc = p.name + " peer " + c.publicKey().toBase64() + " endpoint "
            + c.endpoint().map(WireGuardNetwork::endpointText).orElse("-") + " allowed-ips "
            + c.allowedIps().stream().map(Object::toString).collect(Collectors.joining(","));
        entries.add(new DataPlaneEntry("peer", desc, s == null ? DataPlaneEntry.Drift.MISSING : DataPlaneEntry.Drift.OK));
        boolean up = s != null && s.session();
        entries.add(new DataPlaneEntry("session", p.name + (up ? " handshake done" : " no session yet"),
            up ? DataPlaneEntry.Drift.OK : DataPlaneEntry.Drift.MISSING));
      });
      out.add(new PeerStatus(l, entries, Optional.ofNullable(errors.get(l.key()))));
    }
    // What a device holds that no current lease asks for (a removed lease's peer left behind).
    List<DataPlaneEntry> stale = new ArrayList<>();
    planes().forEach(p -> {
      Set<PublicKey> wanted = new HashSet<>();
      leases.keySet().forEach(k -> Optional.ofNullable(p.peers.get(k)).ifPresent(c -> wanted.add(c.publicKey())));
      states.get(p).values().stream().filter(s -> !wanted.contains(s.publicKey())).forEach(s -> stale.add(
          new DataPlaneEntry("peer", p.name + " peer " + s.publicKey().toBase64() + " endpoint "
              + s.endpoint().map(WireGuardNetwork::endpointText).orElse("-"), DataPlaneEntry.Drift.STALE)));
    });
    return new DataPlaneView(out, stale);
  }

  /** {@code 192.0.2.12:51820} or {@code [2001:db8::12]:51821}, as {@code wg} prints endpoints. */
  static String endpointText(java.net.InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    if (a.getAddress() instanceof java.net.Inet6Address) {
      host = "[" + io.overlaynet.ip.Ip6.fromBytes(a.getAddress().getAddress()) + "]";
    }
    return host + ":" + a.getPort();
  }

  /** The devices' inner packets and bytes each way and drops by reason, summed, in the agent's terms. */
  @Override
  public Optional<TrafficStats> traffic() {
    Map<String, Long> drops = new LinkedHashMap<>();
    long[] sum = new long[4];
    planes().forEach(p -> {
      p.device.drops().forEach((k, v) -> drops.merge(k.name().toLowerCase(Locale.ROOT), v, Long::sum));
      WgDevice.Traffic t = p.device.traffic();
      sum[0] += t.txPackets();
      sum[1] += t.txBytes();
      sum[2] += t.rxPackets();
      sum[3] += t.rxBytes();
    });
    return Optional.of(new TrafficStats(sum[0], sum[1], sum[2], sum[3], drops));
  }

  /** Returns the devices' drops for {@code reason}, summed (tests). */
  long drops(WgDevice.Drop reason) {
    return planes().mapToLong(p -> p.device.drops(reason)).sum();
  }

  /** Returns the peers handed to the device {@code name} (tests). */
  synchronized List<WgDevice.PeerConfig> peers(String name) {
    return planes().filter(p -> p.name.equals(name)).findFirst().map(p -> List.copyOf(p.peers.values()))
        .orElse(List.of());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Closing a TUN device removes it and its routes, as flanneld deletes its devices on shutdown.
    planes().forEach(p -> p.device.close());
  }

  @Override
  public String toString() {
    return "WireGuardNetwork{" + planes().map(p -> p.name + " " + p.peers.size() + " peers")
        .collect(Collectors.joining(", ")) + ", lease=" + lease.key() + "}";
  }
}
