package io.overlaynet.udp;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.NetworkConfig;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Scope;
import io.overlaynet.netlink.Sysctl;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.udp.internal.Counters;
import io.overlaynet.udp.internal.DataPath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's {@code udp} backend, the default when a network config names none: a TUN device
 * {@code flannel0} and a UDP socket on port 8285, each packet for a remote subnet sent as the
 * whole payload of one datagram to that node's public IP (flannel reference §4.5). Wire-compatible
 * with flanneld; this implementation adds longest-prefix routing, anti-spoofing and batched I/O.
 *
 * <pre>{@code
 * Backend udp = UdpBackend.create();                  // or Backend.byType("udp")
 * try (Network net = udp.register(new BackendContext(sm, config, extIface))) {
 *   // the agent feeds lease events to net
 * }
 * }</pre>
 *
 * <p>{@link #register} must run on a thread inside the node's network namespace: the device,
 * the socket and the data-path threads are all created there.
 */
public final class UdpBackend implements Backend {

  /** The flannel type name. */
  public static final String TYPE = "udp";
  /** flannel's default UDP port. */
  public static final int DEFAULT_PORT = 8285;
  /** IPv4 (20) + UDP (8) header bytes the encapsulation adds; the TUN MTU is the underlay's minus this. */
  public static final int ENCAP_OVERHEAD = 28;
  /** The TUN name template; the kernel completes it, normally to {@code flannel0}. */
  public static final String DEVICE_TEMPLATE = "flannel%d";

  private static final Logger log = LoggerFactory.getLogger(UdpBackend.class);

  private final UdpOptions options;

  private UdpBackend(UdpOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Returns a backend with {@link UdpOptions#DEFAULT}. */
  public static UdpBackend create() {
    return new UdpBackend(UdpOptions.DEFAULT);
  }

  /** Returns a backend with these data-path options. */
  public static UdpBackend create(UdpOptions options) {
    return new UdpBackend(options);
  }

  @Override
  public String type() {
    return TYPE;
  }

  /** Returns the data-path options. */
  public UdpOptions options() {
    return options;
  }

  /**
   * Binds the UDP socket on the interface address and the configured {@code Port}, acquires the
   * lease with only {@code PublicIP}, creates and configures {@code flannel0} (MTU underlay − 28,
   * address {@code <subnet>.0/32}, up, route {@code <Network> dev flannel0}) and starts the data
   * path. On failure everything made here is undone (the lease stays, as with flanneld).
   *
   * @throws IllegalArgumentException if the config asks for IPv6 only, or the port or MTU is out
   *     of range
   * @throws java.io.IOException if the socket cannot be bound (e.g. the port is in use)
   * @throws io.overlaynet.netlink.NetlinkException if the TUN device cannot be made or configured
   */
  @Override
  public UdpNetwork register(BackendContext context) throws Exception {
    NetworkConfig config = context.config();
    ExternalInterface ext = context.externalInterface();
    checkArgument(config.enableIpv4(), "the udp backend carries IPv4 only; the config disables IPv4");
    if (config.enableIpv6()) {
      log.warn("the udp backend carries IPv4 only; IPv6 is ignored");
    }
    int port = config.backend().getInt("Port", DEFAULT_PORT);
    checkArgument(port >= 1 && port <= 65535, "udp Port out of range: %s", port);
    int mtu = ext.mtu() - ENCAP_OVERHEAD;
    checkArgument(mtu >= 68, "external interface MTU %s is too small for the udp backend", ext.mtu());

    List<AutoCloseable> made = new ArrayList<>();
    try {
      // Bind before taking a lease, so a busy port fails without side effects.
      List<UdpSocket> sockets = new ArrayList<>();
      for (int i = 0; i < options.queues(); i++) {
        UdpSocket s = UdpSocket.bind(ext.ifaceAddr(), port, options.socketBufferBytes(), options.queues() > 1);
        made.add(s);
        sockets.add(s);
      }
      Lease lease = context.subnetManager().acquireLease(LeaseAttrs.of(ext.extAddr()));

      List<AutoCloseable> queues = new ArrayList<>();
      List<TunDevice> tuns = new ArrayList<>();
      boolean multi = options.queues() > 1;
      boolean offload = options.offload();
      TunDevice first = null;
      if (offload) {
        try {
          first = TunDevice.create(DEVICE_TEMPLATE, TunOptions.DEFAULT.withMultiQueue(multi).withVnetHeader(true));
        } catch (IOException e) {
          log.warn("TUN offload (IFF_VNET_HDR, TSO) unavailable, using a plain TUN device: {}", e.getMessage());
          offload = false;
        }
      }
      if (first == null) {
        first = TunDevice.create(DEVICE_TEMPLATE, TunOptions.DEFAULT.withMultiQueue(multi));
      }
      made.add(first);
      queues.add(first);
      tuns.add(first);
      for (int i = 1; i < options.queues(); i++) {
        TunDevice q = first.openQueue();
        made.add(q);
        queues.add(q);
        tuns.add(q);
      }
      String name = first.name();
      // Probed once, on the first socket: the kernel is the same for all.
      boolean gso = offload && options.udpGso() && sockets.get(0).supportsGso();
      boolean gro = offload && options.udpGro();
      // Only the offload receive loop reads the UDP_GRO cmsg; any other would take several
      // datagrams for one. So: on for every socket, or for none.
      for (int i = 0; gro && i < sockets.size(); i++) {
        gro = sockets.get(i).setGro(true);
      }
      if (!gro) {
        sockets.forEach(s -> s.setGro(false));
      }
      configure(name, lease, config, mtu);

      Counters counters = new Counters();
      int ownMask = lease.subnet().prefixLength() == 0 ? 0 : -1 << (32 - lease.subnet().prefixLength());
      DataPath dataPath = new DataPath(new DataPath.Config(name, lease.subnet().address().toInt(),
          lease.subnet().address().toInt() & ownMask, ownMask, port, options.batchSize(), mtu, offload, gso, gro),
          counters);
      made.add(dataPath);
      for (int i = 0; i < tuns.size(); i++) {
        dataPath.start(i, tuns.get(i), sockets.get(i));
      }
      UdpNetwork net = new UdpNetwork(lease, mtu, port, name, queues, sockets, dataPath, counters);
      log.info("udp backend up: {} mtu {} address {}/32, {} queue(s), TUN offload {}, UDP GSO {}, UDP GRO {}, UDP {}:{}",
          name, mtu, lease.subnet().address(), tuns.size(), offload ? "on" : "off", gso ? "on" : "off",
          gro ? "on" : "off", ext.ifaceAddr(), port);
      return net;
    } catch (Exception | Error e) {
      // Data path first (threads borrow the fds), then sockets and devices.
      for (int i = made.size() - 1; i >= 0; i--) {
        try {
          made.get(i).close();
        } catch (Exception cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
  }

  /** flannel's {@code configureIface}: address /32, MTU, up, then the route for the whole network. */
  private static void configure(String name, Lease lease, NetworkConfig config, int mtu) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link link = h.linkByName(name);
      // A /32 so the kernel adds no broadcast or subnet routes: the address only gives host →
      // container traffic a source the other side can answer to.
      h.addrReplace(Address.of(link.index(), lease.subnet().address(), 32));
      h.linkSetMtu(link.index(), mtu);
      // The ICMP net unreachable the data path writes back comes from this very address; without
      // accept_local the kernel drops it as a martian (local source on input), which silently
      // breaks flanneld's unreachable reply. Only packets this node's proxy writes enter here.
      Sysctl.current().set("net/ipv4/conf/" + name + "/accept_local", "1");
      h.linkSetUp(link.index());
      // Replace rather than add: flannel ignores EEXIST, which would leave a stale route in place.
      h.routeReplace(Route.builder(config.network()).withLinkIndex(link.index()).withScope(Scope.UNIVERSE).build());
    }
  }

  @Override
  public String toString() {
    return "UdpBackend{" + options + "}";
  }
}
