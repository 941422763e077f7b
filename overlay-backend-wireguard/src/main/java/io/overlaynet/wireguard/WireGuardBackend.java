package io.overlaynet.wireguard;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.BackendException;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.Network;
import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Scope;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.wireguard.internal.PresharedKey;
import io.overlaynet.wireguard.internal.PrivateKey;
import io.overlaynet.wireguard.internal.WgDevice;
import io.overlaynet.wireguard.internal.WgKeyFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's {@code wireguard} backend with WireGuard implemented in this process (no kernel
 * module): a TUN device {@code flannel-wg} (MTU: the config's {@code MTU}, default the external
 * interface's, minus 80), the lease's subnet address /32 on it and a route for the Network; the
 * private key in {@code /run/flannel/wgkey} ({@code WIREGUARD_KEY_FILE} overrides; made, mode
 * 0400, if missing); the lease's {@code BackendData} {@code {"PublicKey":"<base64>","Port":51820}};
 * one peer per remote wireguard lease: endpoint {@code PublicIP:Port} (flanneld v0.20.2's leases
 * without {@code Port}: this node's port), allowed IPs its subnet. The device goes when the network
 * closes, as flanneld deletes its WireGuard devices on shutdown.
 *
 * <p>Config: {@code ListenPort} (51820), {@code PSK} (base64, none by default),
 * {@code PersistentKeepaliveInterval} (seconds, 0), {@code MTU}; IPv4 only for now (issue 16
 * continues: IPv6 and {@code Mode}).
 *
 * <p>{@link #register} must run on a thread inside the node's network namespace.
 */
public final class WireGuardBackend implements Backend {

  /** The flannel type name. */
  public static final String TYPE = "wireguard";
  /** flannel's device name. */
  public static final String DEVICE = "flannel-wg";
  /** flannel's default listen port. */
  public static final int DEFAULT_PORT = 51820;
  /** What the tunnel costs in MTU, as flannel reckons it (IPv6 outer header, UDP, WireGuard). */
  public static final int OVERHEAD = 80;
  /** Send and receive buffer of the socket: deep enough to ride out a scheduling gap at full rate. */
  private static final int SOCKET_BUFFER = 4 << 20;

  private static final Logger log = LoggerFactory.getLogger(WireGuardBackend.class);

  private final Map<String, String> env;

  private WireGuardBackend(Map<String, String> env) {
    this.env = env;
  }

  /** Returns the backend, reading {@code WIREGUARD_KEY_FILE} from the process environment. */
  public static WireGuardBackend create() {
    return new WireGuardBackend(System.getenv());
  }

  /** Returns the backend with its key file at {@code keyFile}. */
  public static WireGuardBackend withKeyFile(Path keyFile) {
    return new WireGuardBackend(Map.of(WgKeyFile.ENV_VAR, keyFile.toString()));
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Network register(BackendContext context) {
    NetworkConfig config = context.config();
    NetworkConfig.BackendConfig be = config.backend();
    ExternalInterface ext = context.externalInterface();
    if (!config.enableIpv4()) {
      throw new NetworkConfigException("the wireguard backend carries IPv4 only so far; the config disables IPv4");
    }
    if (config.enableIpv6()) {
      log.warn("the wireguard backend carries IPv4 only so far: IPv6 is not carried");
    }
    int port = be.getInt("ListenPort", DEFAULT_PORT);
    if (port < 1 || port > 65535) {
      throw new NetworkConfigException("wireguard ListenPort out of range: " + port);
    }
    int keepalive = be.getInt("PersistentKeepaliveInterval", 0);
    if (keepalive < 0) {
      throw new NetworkConfigException("wireguard PersistentKeepaliveInterval must not be negative: " + keepalive);
    }
    Optional<PresharedKey> psk = Optional.empty();
    String pskText = be.getString("PSK", "");
    if (!pskText.isEmpty()) {
      try {
        psk = Optional.of(PresharedKey.parse(pskText));
      } catch (IllegalArgumentException e) {
        throw new NetworkConfigException("wireguard PSK: " + e.getMessage());
      }
    }
    int mtu = be.getInt("MTU", ext.mtu()) - OVERHEAD;
    if (mtu < 576) {
      throw new BackendException("wireguard: the device MTU would be " + mtu + " (MTU - " + OVERHEAD
          + "), too small; raise the external interface's MTU or the backend's MTU");
    }
    PrivateKey key;
    Path keyFile = WgKeyFile.path(env);
    try {
      key = WgKeyFile.loadOrCreate(keyFile);
    } catch (IOException | IllegalArgumentException e) {
      throw new BackendException("wireguard: cannot read or create the key file " + keyFile + ": " + e.getMessage(), e);
    }
    UdpSocket udp = null;
    TunDevice tun = null;
    try {
      // Bind before taking a lease, so a busy port fails without side effects. A batched socket
      // with deep buffers: the data path sends and receives many datagrams per system call.
      try {
        udp = UdpSocket.bind(Ip4.ANY, port, SOCKET_BUFFER, false);
      } catch (NetlinkException e) {
        throw new BackendException("wireguard: cannot listen on UDP port " + port + ": " + e.getMessage(), e);
      }
      String data = "{\"PublicKey\":\"" + key.publicKey().toBase64() + "\",\"Port\":" + port + "}";
      Lease lease = context.subnetManager().acquireLease(LeaseAttrs.of(ext.extAddr()).withBackend(TYPE, data));
      // TUN offload: the kernel hands over whole TCP super-packets and takes coalesced ones.
      tun = TunDevice.create(DEVICE, TunOptions.DEFAULT.withVnetHeader(true));
      configure(lease, config.network(), mtu);
      WgDevice device = WgDevice.start(key, tun, udp, mtu);
      log.info("wireguard: {} up (MTU {}, port {}, public key {})", DEVICE, mtu, port, key.publicKey());
      return new WireGuardNetwork(lease, mtu, port, device, psk, Duration.ofSeconds(keepalive));
    } catch (NetlinkException e) {
      close(udp, tun);
      throw new BackendException("wireguard: setting up " + DEVICE + " failed: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      close(udp, tun);
      throw e;
    }
  }

  /** Address /32, MTU, up, route for the Network: flannel's {@code configureIface}, all replacing. */
  private static void configure(Lease lease, Ip4Net network, int mtu) throws NetlinkException {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link link = h.linkByName(DEVICE);
      h.addrReplace(Address.of(link.index(), lease.subnet().address(), 32));
      h.linkSetMtu(link.index(), mtu);
      h.linkSetUp(link.index());
      h.routeReplace(Route.builder(network).withLinkIndex(link.index()).withScope(Scope.UNIVERSE).build());
    }
  }

  private static void close(UdpSocket udp, TunDevice tun) {
    if (tun != null) {
      tun.close();
    }
    if (udp != null) {
      udp.close();
    }
  }

  @Override
  public String toString() {
    return "WireGuardBackend";
  }
}
