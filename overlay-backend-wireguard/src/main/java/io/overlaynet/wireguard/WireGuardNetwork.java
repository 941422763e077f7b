package io.overlaynet.wireguard;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.PeerStatus;
import io.overlaynet.TrafficStats;
import io.overlaynet.ip.IpNet;
import io.overlaynet.wireguard.internal.PresharedKey;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WgDevice;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered wireguard backend of one node: keeps one WireGuard peer per remote wireguard
 * lease (its public key and port from {@code BackendData}, endpoint {@code PublicIP:Port}, allowed
 * IPs its subnet) and hands the whole set to the device on every change. A lease whose
 * {@code BackendData} does not decode is skipped with an error and changes nothing else.
 */
final class WireGuardNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(WireGuardNetwork.class);

  private final Lease lease;
  private final int mtu;
  private final int port;
  private final WgDevice device;
  private final Optional<PresharedKey> psk;
  private final Duration keepalive;
  /** The remote leases' peers, by lease key; guarded by this. */
  private final Map<String, WgDevice.PeerConfig> peers = new LinkedHashMap<>();
  /** Every remote lease, for {@link #dataPlane()}; guarded by this. */
  private final Map<String, Lease> leases = new LinkedHashMap<>();
  /** Why a lease has no peer (its BackendData); guarded by this. */
  private final Map<String, String> errors = new LinkedHashMap<>();
  private volatile boolean closed;

  WireGuardNetwork(Lease lease, int mtu, int port, WgDevice device, Optional<PresharedKey> psk, Duration keepalive) {
    this.lease = lease;
    this.mtu = mtu;
    this.port = port;
    this.device = device;
    this.psk = psk;
    this.keepalive = keepalive;
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
  public synchronized void onSnapshot(List<Lease> snapshot) {
    peers.clear();
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
        peers.remove(e.lease().key());
        leases.remove(e.lease().key());
        errors.remove(e.lease().key());
      }
    }
    apply();
  }

  private void add(Lease l) {
    if (l.key().equals(lease.key())) {
      return;
    }
    leases.put(l.key(), l);
    errors.remove(l.key());
    if (!WireGuardBackend.TYPE.equals(l.attrs().backendType())) {
      peers.remove(l.key());
      return;
    }
    try {
      peers.put(l.key(), peerOf(l));
    } catch (RuntimeException e) {
      peers.remove(l.key());
      errors.put(l.key(), "BackendData does not decode: " + e.getMessage());
      log.error("wireguard: ignoring the lease of {}: its BackendData does not decode: {}", l.subnetsText(),
          e.getMessage());
    }
  }

  /** {@code {"PublicKey":"<base64>","Port":51820}}; without {@code Port} (flanneld v0.20.2), ours. */
  private WgDevice.PeerConfig peerOf(Lease l) {
    JsonObject data = JsonParser.parseString(l.attrs().backendData().orElseThrow(
        () -> new IllegalArgumentException("no BackendData"))).getAsJsonObject();
    if (!data.has("PublicKey")) {
      throw new IllegalArgumentException("no PublicKey");
    }
    PublicKey key = PublicKey.parse(data.get("PublicKey").getAsString());
    int peerPort = data.has("Port") ? data.get("Port").getAsInt() : port;
    if (peerPort < 1 || peerPort > 65535) {
      throw new IllegalArgumentException("Port out of range: " + peerPort);
    }
    InetSocketAddress endpoint = new InetSocketAddress(l.attrs().publicIp().toInetAddress(), peerPort);
    return new WgDevice.PeerConfig(key, psk, Optional.of(endpoint), List.<IpNet>of(l.subnet()), keepalive);
  }

  private void apply() {
    if (!closed) {
      device.setPeers(new ArrayList<>(peers.values()));
    }
  }

  /**
   * Per remote lease: its peer in the device (public key, endpoint, allowed IPs; MISSING if the
   * device has no such peer) and whether a session is up (a handshake completed; MISSING until the
   * first packet for the peer makes one, or when handshakes fail). A lease whose BackendData did not
   * decode has no entries and says why.
   */
  @Override
  public synchronized DataPlaneView dataPlane() {
    Map<PublicKey, WgDevice.PeerState> states = new java.util.HashMap<>();
    device.peerStates().forEach(s -> states.put(s.publicKey(), s));
    List<PeerStatus> out = new ArrayList<>();
    for (Lease l : leases.values()) {
      WgDevice.PeerConfig c = peers.get(l.key());
      if (c == null) {
        out.add(new PeerStatus(l, List.of(), Optional.ofNullable(errors.get(l.key()))));
        continue;
      }
      WgDevice.PeerState s = states.get(c.publicKey());
      String desc = "peer " + c.publicKey().toBase64() + " endpoint " + c.endpoint().map(Object::toString).orElse("-")
          + " allowed-ips " + c.allowedIps().get(0);
      List<DataPlaneEntry> entries = new ArrayList<>();
      entries.add(new DataPlaneEntry("peer", desc, s == null ? DataPlaneEntry.Drift.MISSING : DataPlaneEntry.Drift.OK));
      entries.add(new DataPlaneEntry("session", s != null && s.session() ? "handshake done" : "no session yet",
          s != null && s.session() ? DataPlaneEntry.Drift.OK : DataPlaneEntry.Drift.MISSING));
      out.add(new PeerStatus(l, entries, Optional.empty()));
    }
    return new DataPlaneView(out, List.of());
  }

  /** The device's drops by reason, in the agent's terms. */
  @Override
  public Optional<TrafficStats> traffic() {
    Map<String, Long> drops = new LinkedHashMap<>();
    device.drops().forEach((k, v) -> drops.put(k.name().toLowerCase(java.util.Locale.ROOT), v));
    return Optional.of(new TrafficStats(0, 0, 0, 0, drops));
  }

  /** Returns the device's drops for {@code reason} (tests). */
  long drops(WgDevice.Drop reason) {
    return device.drops(reason);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Closing the TUN device removes flannel-wg and its route, as flanneld deletes its device.
    device.close();
  }

  @Override
  public String toString() {
    return "WireGuardNetwork{" + WireGuardBackend.DEVICE + ", lease=" + lease.key() + ", peers=" + peers.size() + "}";
  }
}
