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
import io.overlaynet.ip.Ip6;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Scope;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.wireguard.internal.PrivateKey;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WgDevice;
import io.overlaynet.wireguard.internal.WgKeyFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's {@code wireguard} backend with WireGuard implemented in this process (no kernel
 * module), both address families and flannel's four {@code Mode}s (v0.28.9
 * {@code pkg/backend/wireguard}):
 *
 * <ul>
 *   <li>{@code separate} (the default): TUN device {@code flannel-wg} with the lease's IPv4 subnet
 *       address /32 and a route for the {@code Network}, UDP port {@code ListenPort} (51820) over
 *       IPv4; with {@code EnableIPv6} also {@code flannel-wg-v6} with the IPv6 subnet address /128
 *       and a route for the {@code IPv6Network}, port {@code ListenPortV6} (51821) over IPv6. An
 *       IPv6-only network ({@code "EnableIPv4": false}) has {@code flannel-wg-v6} alone.
 *   <li>{@code ipv4}, {@code ipv6}, {@code auto}: {@code flannel-wg} alone, with both families'
 *       addresses and routes, port {@code ListenPort} on both IPv4 and IPv6; each peer's tunnel over
 *       IPv4, over IPv6, or (auto) whichever flannel's {@code selectMode} picks.
 * </ul>
 *
 * <p>Every device's MTU is the config's {@code MTU} (default: the external interface's) minus 80. The
 * private key is in {@code /run/flannel/wgkey} ({@code WIREGUARD_KEY_FILE} overrides; made, mode
 * 0400, if missing). The lease has {@code BackendData {"PublicKey":"<base64>","Port":51820}} with
 * IPv4 and {@code BackendV6Data} of the same shape with IPv6 ({@code Port} 51821 in separate mode).
 * Peers: see {@link PeerPlan}. The devices go when the network closes, as flanneld deletes its
 * WireGuard devices on shutdown.
 *
 * <p>Config: {@code ListenPort}, {@code ListenPortV6}, {@code PSK} (base64, none by default),
 * {@code PersistentKeepaliveInterval} (seconds, 0), {@code Mode}, {@code MTU}.
 *
 * <p>{@link #register} must run on a thread inside the node's network namespace.
 */
public final class WireGuardBackend implements Backend {

  /** The flannel type name. */
  public static final String TYPE = "wireguard";
  /** flannel's device name: IPv4 in separate mode, both families in the other modes. */
  public static final String DEVICE = "flannel-wg";
  /** flannel's IPv6 device name in separate mode. */
  public static final String DEVICE_V6 = "flannel-wg-v6";
  /** flannel's default listen port ({@code ListenPort}). */
  public static final int DEFAULT_PORT = WireGuardConfig.DEFAULT_PORT;
  /** flannel's default listen port of {@code flannel-wg-v6} ({@code ListenPortV6}). */
  public static final int DEFAULT_PORT_V6 = WireGuardConfig.DEFAULT_PORT_V6;
  /** What the tunnel costs in MTU, as flannel reckons it (IPv6 outer header, UDP, WireGuard). */
  public static final int OVERHEAD = 80;
  /** Send and receive buffer of the batched socket: deep enough to ride out a scheduling gap at full rate. */
  private static final int SOCKET_BUFFER = 4 << 20;
  /** TUN offload: the kernel hands over whole TCP super-packets and takes coalesced ones. */
  private static final TunOptions OFFLOAD = TunOptions.DEFAULT.withVnetHeader(true);

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

  /**
   * Creates the mode's devices, acquires the lease with the public key and ports, configures the
   * devices from the lease and starts them.
   *
   * @throws NetworkConfigException if the wireguard options are invalid or the mode cannot carry the
   *     network's families
   * @throws BackendException if a device needs an IPv6 underlay and the external interface has no
   *     IPv6 address, the MTU is too small, a port is taken, the key file cannot be read or made, or
   *     the kernel refuses a device (its error is the cause)
   * @throws io.overlaynet.OverlayException what the subnet manager throws when acquiring the lease
   */
  @Override
  public Network register(BackendContext context) {
    NetworkConfig config = context.config();
    ExternalInterface ext = context.externalInterface();
    WireGuardConfig cfg = WireGuardConfig.parse(config.backend());
    cfg.check(config);
    log.info("wireguard config: {}", cfg);
    boolean mainDevice = cfg.hasMainDevice(config);
    boolean v6Device = cfg.hasV6Device(config);
    boolean needsV6Underlay = v6Device || cfg.mode() == WireGuardConfig.Mode.IPV6;
    if (needsV6Underlay && ext.extV6Addr().isEmpty()) {
      throw new BackendException("wireguard: Mode " + cfg.mode().wire() + " carries "
          + (v6Device ? DEVICE_V6 : DEVICE) + " over IPv6, but the external interface " + ext.name()
          + " has no IPv6 address: give it one, pick an interface that has one (--iface), or set --public-ipv6");
    }
    int mtu = cfg.deviceMtu(ext.mtu());
    int minMtu = config.enableIpv6() ? 1280 : 576;
    if (mtu < minMtu) {
      throw new BackendException("wireguard: the device MTU would be " + mtu + " (MTU - " + OVERHEAD
          + "), below " + minMtu + (minMtu == 1280 ? " (IPv6's minimum)" : "")
          + "; raise the external interface's MTU or the backend's MTU");
    }
    PrivateKey key;
    Path keyFile = WgKeyFile.path(env);
    try {
      key = WgKeyFile.loadOrCreate(keyFile);
    } catch (IOException | IllegalArgumentException e) {
      throw new BackendException("wireguard: cannot read or create the key file " + keyFile + ": " + e.getMessage(), e);
    }
    List<AutoCloseable> opened = new ArrayList<>();
    String current = mainDevice ? DEVICE : DEVICE_V6;
    try {
      // Bind before taking a lease, so a busy port fails without side effects. An IPv4 underlay
      // gets the batched socket (many datagrams per system call, deep buffers); an IPv6 or dual
      // one a DatagramChannel (one datagram per call).
      UdpSocket udp = null;
      DatagramChannel udpDual = null;
      DatagramChannel udp6 = null;
      if (mainDevice) {
        // separate and ipv4: IPv4 peers only; ipv6 and auto: one socket for both families ([::], dual stack).
        boolean v4Only = cfg.mode() == WireGuardConfig.Mode.SEPARATE || cfg.mode() == WireGuardConfig.Mode.IPV4
            // auto on a JVM without IPv6 sockets: its peers all go over IPv4 then.
            || (cfg.mode() == WireGuardConfig.Mode.AUTO && !ipv6Sockets());
        if (v4Only) {
          udp = bindBatched(cfg.listenPort(), opened);
        } else {
          udpDual = bind(StandardProtocolFamily.INET6, cfg.listenPort(), opened);
        }
      }
      if (v6Device) {
        udp6 = bind(StandardProtocolFamily.INET6, cfg.listenPortV6(), opened);
      }
      Lease lease = context.subnetManager().acquireLease(leaseAttrs(cfg, config, ext, key.publicKey()));
      if (config.enableIpv4() && lease.subnet().isEmpty()) {
        throw new BackendException("wireguard: failed to configure wg interface: IPv4 is enabled but the lease "
            + lease.key() + " has no IPv4");
      }
      if (config.enableIpv6() && lease.ipv6Subnet().isEmpty()) {
        throw new BackendException("wireguard: failed to configure wg interface: IPv6 is enabled but the lease "
            + lease.key() + " has no IPv6");
      }
      WireGuardNetwork.Plane main = null;
      WireGuardNetwork.Plane v6 = null;
      if (mainDevice) {
        TunDevice tun = TunDevice.create(DEVICE, OFFLOAD);
        opened.add(tun);
        configure(DEVICE, mtu, config.enableIpv4() ? lease : null,
            !v6Device && config.enableIpv6() ? lease : null, config);
        main = new WireGuardNetwork.Plane(DEVICE, udp != null ? WgDevice.start(key, tun, udp, mtu)
            : WgDevice.start(key, tun, udpDual, mtu));
        opened.add(main.device);
      }
      if (v6Device) {
        current = DEVICE_V6;
        TunDevice tun6 = TunDevice.create(DEVICE_V6, OFFLOAD);
        opened.add(tun6);
        configure(DEVICE_V6, mtu, null, lease, config);
        v6 = new WireGuardNetwork.Plane(DEVICE_V6, WgDevice.start(key, tun6, udp6, mtu));
        opened.add(v6.device);
      }
      log.info("wireguard: {} up (MTU {}, mode {}, public key {})", mainDevice && v6Device ? DEVICE + " and " + DEVICE_V6
          : current, mtu, cfg.mode().wire(), key.publicKey());
      PeerPlan.Local local = new PeerPlan.Local(cfg, mainDevice, v6Device,
          config.enableIpv4() && !ext.extAddr().isUnspecified(), ext.extV6Addr());
      return new WireGuardNetwork(lease, mtu, local, main, v6);
    } catch (NetlinkException e) {
      close(opened);
      throw new BackendException("wireguard: setting up " + current + " failed: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      close(opened);
      throw e;
    }
  }

  /**
   * The lease attributes flanneld's {@code newSubnetAttrs} makes: {@code PublicIP} (0.0.0.0 without
   * IPv4), {@code PublicIPv6} when the node has one, {@code BackendData} with IPv4, {@code
   * BackendV6Data} with IPv6.
   */
  static LeaseAttrs leaseAttrs(WireGuardConfig cfg, NetworkConfig config, ExternalInterface ext, PublicKey key) {
    LeaseAttrs attrs = LeaseAttrs.of(config.enableIpv4() ? ext.extAddr() : Ip4.ANY)
        .withBackend(TYPE, config.enableIpv4() ? PeerPlan.LeaseData.json(key, cfg.listenPort()) : null);
    if (ext.extV6Addr().isPresent()) {
      attrs = attrs.withPublicIpv6(ext.extV6Addr().get());
    }
    if (config.enableIpv6()) {
      attrs = attrs.withBackendV6Data(PeerPlan.LeaseData.json(key, cfg.v6DataPort()));
    }
    return attrs;
  }

  private static boolean ipv6Sockets() {
    try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6)) {
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static UdpSocket bindBatched(int port, List<AutoCloseable> opened) {
    try {
      UdpSocket s = UdpSocket.bind(Ip4.ANY, port, SOCKET_BUFFER, false);
      opened.add(s);
      return s;
    } catch (NetlinkException e) {
      throw new BackendException("wireguard: cannot listen on UDP port " + port + " (IPv4): " + e.getMessage(), e);
    }
  }

  private static DatagramChannel bind(StandardProtocolFamily family, int port, List<AutoCloseable> opened) {
    try {
      DatagramChannel ch = DatagramChannel.open(family);
      opened.add(ch);
      ch.bind(new InetSocketAddress(family == StandardProtocolFamily.INET ? Ip4.ANY.toInetAddress()
          : Ip6.ANY.toInetAddress(), port));
      return ch;
    } catch (IOException | UnsupportedOperationException e) {
      throw new BackendException("wireguard: cannot listen on UDP port " + port + " ("
          + (family == StandardProtocolFamily.INET ? "IPv4" : "IPv6") + "): " + e.getMessage(), e);
    }
  }

  /**
   * MTU, the lease's subnet addresses (/32 from {@code lease4}, /128 from {@code lease6}), up, and a
   * route for each family's Network: flannel's {@code Configure} / {@code ConfigureV6}, all replacing.
   */
  private static void configure(String name, int mtu, Lease lease4, Lease lease6, NetworkConfig config)
      throws NetlinkException {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link link = h.linkByName(name);
      // The MTU first: below 1280 the kernel would not keep an IPv6 address.
      h.linkSetMtu(link.index(), mtu);
      if (lease4 != null) {
        h.addrReplace(Address.of(link.index(), lease4.subnet().address(), 32));
      }
      if (lease6 != null) {
        h.addrReplace(Address.of(link.index(), lease6.ipv6Subnet().get().address(), 128));
      }
      h.linkSetUp(link.index());
      if (lease4 != null) {
        h.routeReplace(Route.builder(config.network()).withLinkIndex(link.index()).withScope(Scope.UNIVERSE).build());
      }
      if (lease6 != null) {
        h.routeReplace(Route.builder(config.ipv6Network()).withLinkIndex(link.index()).build());
      }
    }
  }

  private static void close(List<AutoCloseable> opened) {
    // Newest first: a started device owns its TUN and socket and closes them itself.
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        log.debug("closing {}: {}", opened.get(i), e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "WireGuardBackend";
  }
}
