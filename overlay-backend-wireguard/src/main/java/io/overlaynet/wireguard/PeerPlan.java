package io.overlaynet.wireguard;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.Lease;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpNet;
import io.overlaynet.wireguard.WireGuardConfig.Mode;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WgDevice;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What WireGuard peers a remote lease gives this node, by flannel's rules (v0.28.9
 * {@code pkg/backend/wireguard/wireguard_network.go} {@code handleSubnetEvents}, {@code selectMode}):
 * no I/O, so every mode is testable without a kernel.
 *
 * <ul>
 *   <li>{@code separate}: a peer on {@code flannel-wg} for the lease's IPv4 subnet, endpoint
 *       {@code PublicIP:Port} ({@code BackendData}); a peer on {@code flannel-wg-v6} for its IPv6
 *       subnet, endpoint {@code [PublicIPv6]:Port} ({@code BackendV6Data}). A family the lease
 *       lacks, or this node does not carry, gives no peer.
 *   <li>{@code ipv4}, {@code ipv6}, {@code auto}: one peer on {@code flannel-wg} whose allowed IPs
 *       are all the lease's subnets, its key from {@code BackendV6Data} when the lease has IPv6 (else
 *       {@code BackendData}), its endpoint of the mode's family; {@code auto} picks per lease.
 *   <li>A missing {@code Port} (flanneld before v0.26.5) means this node's port for that device.
 * </ul>
 */
final class PeerPlan {

  private PeerPlan() {}

  /** A wireguard lease's data: {@code {"PublicKey":"<base64>","Port":51820}}; port 0 when absent. */
  record LeaseData(PublicKey publicKey, int port) {

    /** Returns the JSON flanneld writes (its {@code wireguardLeaseAttrs}, field order kept). */
    static String json(PublicKey key, int port) {
      return "{\"PublicKey\":\"" + key.toBase64() + "\",\"Port\":" + port + "}";
    }

    /**
     * Decodes {@code BackendData} or {@code BackendV6Data}.
     *
     * @throws IllegalArgumentException if it is not an object with a valid {@code PublicKey} and,
     *     if present, a {@code Port} in 0-65535
     */
    static LeaseData decode(String json) {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException("not a JSON object: " + json);
      }
      JsonObject o = e.getAsJsonObject();
      if (!o.has("PublicKey") || !o.get("PublicKey").isJsonPrimitive()) {
        throw new IllegalArgumentException("no PublicKey");
      }
      PublicKey key = PublicKey.parse(o.get("PublicKey").getAsString());
      int port = o.has("Port") && !o.get("Port").isJsonNull() ? o.get("Port").getAsInt() : 0;
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("Port out of range: " + port);
      }
      return new LeaseData(key, port);
    }
  }

  /**
   * This node, as the rules need it.
   *
   * @param config the backend config (mode, ports, PSK, keepalive)
   * @param mainDevice whether {@code flannel-wg} exists
   * @param v6Device whether {@code flannel-wg-v6} exists
   * @param publicIpv4 whether this node has an IPv4 public address (flanneld's {@code ExtAddr != nil})
   * @param publicIpv6 this node's public IPv6 address (flanneld's {@code ExtV6Addr}), if any
   */
  record Local(WireGuardConfig config, boolean mainDevice, boolean v6Device, boolean publicIpv4,
      Optional<Ip6> publicIpv6) {}

  /**
   * A lease's peers, or why one it should have is missing.
   *
   * @param main the peer on {@code flannel-wg}
   * @param v6 the peer on {@code flannel-wg-v6} (separate mode)
   * @param errors why a peer the lease should give could not be made
   */
  record Peers(Optional<WgDevice.PeerConfig> main, Optional<WgDevice.PeerConfig> v6, List<String> errors) {}

  /** Returns the peers {@code lease} gives this node. */
  static Peers of(Lease lease, Local local) {
    List<String> errors = new ArrayList<>();
    boolean has4 = !lease.subnet().isEmpty();
    boolean has6 = lease.ipv6Subnet().isPresent();
    WireGuardConfig cfg = local.config();
    boolean separate = cfg.mode() == Mode.SEPARATE;
    // In separate mode a family without its device here needs no data (a dual-stack lease seen by an IPv4-only node).
    Optional<LeaseData> data4 = has4 && (!separate || local.mainDevice())
        ? decode(lease.attrs().backendData(), "BackendData", errors) : Optional.empty();
    Optional<LeaseData> data6 = has6 && (!separate || local.v6Device())
        ? decode(lease.attrs().backendV6Data(), "BackendV6Data", errors) : Optional.empty();
    if (separate) {
      Optional<WgDevice.PeerConfig> main = Optional.empty();
      Optional<WgDevice.PeerConfig> v6 = Optional.empty();
      if (local.mainDevice() && data4.isPresent()) {
        main = endpoint4(lease, data4.get().port(), cfg.listenPort(), errors)
            .map(ep -> peer(cfg, data4.get().publicKey(), ep, List.<IpNet>of(lease.subnet())));
      }
      if (local.v6Device() && data6.isPresent()) {
        v6 = endpoint6(lease, data6.get().port(), cfg.listenPortV6(), errors)
            .map(ep -> peer(cfg, data6.get().publicKey(), ep, List.<IpNet>of(lease.ipv6Subnet().get())));
      }
      return new Peers(main, v6, List.copyOf(errors));
    }
    // One device: flanneld takes the key from the last family it decoded, IPv6 when the lease has it.
    Optional<LeaseData> data = data6.isPresent() ? data6 : data4;
    if (data.isEmpty() || (has4 && data4.isEmpty()) || (has6 && data6.isEmpty())) {
      return new Peers(Optional.empty(), Optional.empty(), List.copyOf(errors));
    }
    List<IpNet> allowed = new ArrayList<>();
    if (has4) {
      allowed.add(lease.subnet());
    }
    if (has6) {
      allowed.add(lease.ipv6Subnet().get());
    }
    Mode family = cfg.mode() == Mode.AUTO ? select(lease, local) : cfg.mode();
    Optional<InetSocketAddress> ep;
    if (family == Mode.IPV4) {
      ep = endpoint4(lease, data4.map(LeaseData::port).orElse(0), cfg.listenPort(), errors);
    } else {
      // The remote's one device listens on the port of its BackendData (flanneld v0.28.9 writes
      // ListenPortV6 into BackendV6Data even here, a port that device does not listen on).
      int port = data4.map(LeaseData::port).filter(p -> p > 0).orElse(data6.map(LeaseData::port).orElse(0));
      ep = endpoint6(lease, port, cfg.listenPort(), errors);
    }
    Optional<WgDevice.PeerConfig> main = ep.map(e -> peer(cfg, data.get().publicKey(), e, allowed));
    return new Peers(main, Optional.empty(), List.copyOf(errors));
  }

  /**
   * flanneld's {@code selectMode} for {@code auto}: IPv4 if the lease has no IPv6 public address, or
   * if its IPv4 one is not RFC 1918 and this node has IPv4; IPv6 if both nodes' IPv6 addresses are not
   * ULA (fc00::/7); else IPv4. An IPv6-only lease ({@code PublicIP 0.0.0.0}) goes over IPv6.
   */
  static Mode select(Lease lease, Local local) {
    Ip4 ip4 = lease.attrs().publicIp();
    Optional<Ip6> ip6 = lease.attrs().publicIpv6();
    if (ip6.isEmpty()) {
      return Mode.IPV4;
    }
    if (ip4.isUnspecified()) {
      return Mode.IPV6;
    }
    if (!isPrivate(ip4) && local.publicIpv4()) {
      return Mode.IPV4;
    }
    if (!isUla(ip6.get()) && local.publicIpv6().isPresent() && !isUla(local.publicIpv6().get())) {
      return Mode.IPV6;
    }
    return Mode.IPV4;
  }

  /** RFC 1918, as flannel's {@code IP4.IsPrivate}. */
  static boolean isPrivate(Ip4 ip) {
    int a = ip.toInt() >>> 24;
    int b = (ip.toInt() >>> 16) & 0xff;
    return a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168);
  }

  /** RFC 4193 fc00::/7, as flannel's {@code IP6.IsPrivate}. */
  static boolean isUla(Ip6 ip) {
    return (ip.high() >>> 56 & 0xfe) == 0xfc;
  }

  private static Optional<LeaseData> decode(Optional<String> json, String field, List<String> errors) {
    if (json.isEmpty()) {
      errors.add("no " + field);
      return Optional.empty();
    }
    try {
      return Optional.of(LeaseData.decode(json.get()));
    } catch (RuntimeException e) {
      errors.add(field + " does not decode: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static Optional<InetSocketAddress> endpoint4(Lease lease, int port, int ownPort, List<String> errors) {
    Ip4 ip = lease.attrs().publicIp();
    if (ip.isUnspecified()) {
      errors.add("no PublicIP for an IPv4 endpoint");
      return Optional.empty();
    }
    return Optional.of(new InetSocketAddress(ip.toInetAddress(), port > 0 ? port : ownPort));
  }

  private static Optional<InetSocketAddress> endpoint6(Lease lease, int port, int ownPort, List<String> errors) {
    Optional<Ip6> ip = lease.attrs().publicIpv6().filter(a -> !a.isUnspecified());
    if (ip.isEmpty()) {
      errors.add("no PublicIPv6 for an IPv6 endpoint");
      return Optional.empty();
    }
    return Optional.of(new InetSocketAddress(ip.get().toInetAddress(), port > 0 ? port : ownPort));
  }

  private static WgDevice.PeerConfig peer(WireGuardConfig cfg, PublicKey key, InetSocketAddress endpoint,
      List<IpNet> allowed) {
    return new WgDevice.PeerConfig(key, cfg.psk(), Optional.of(endpoint), allowed, cfg.keepalive());
  }
}
