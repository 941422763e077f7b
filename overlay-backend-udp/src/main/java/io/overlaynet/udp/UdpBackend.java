package io.overlaynet.udp;

import io.overlaynet.Backend;
import io.overlaynet.BackendException;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.udp.internal.Counters;
import io.overlaynet.udp.internal.PeerTable;
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
   * path, and the check that makes {@code flannel0} again if it is deleted from outside. On failure
   * everything made here is undone (the lease stays, as with flanneld).
   *
   * @throws NetworkConfigException if the config asks for IPv6 only, or its {@code Port} is out of
   *     range
   * @throws BackendException if the socket cannot be bound (e.g. the port is in use), the MTU is
   *     too small, or the TUN device cannot be made or configured; the cause is the system's error
   * @throws io.overlaynet.OverlayException what the subnet manager throws when acquiring the lease
   */
  @Override
  public UdpNetwork register(BackendContext context) {
    NetworkConfig config = context.config();
    ExternalInterface ext = context.externalInterface();
    if (!config.enableIpv4()) {
      throw new NetworkConfigException("the udp backend carries IPv4 only, as flannel's; the config disables IPv4:"
          + " use vxlan, host-gw or wireguard for an IPv6-only network");
    }
    if (config.enableIpv6()) {
      log.warn("the udp backend carries IPv4 only, as flannel's: IPv6 is not carried (vxlan, host-gw and wireguard carry both)");
    }
    int port = config.backend().getInt("Port", DEFAULT_PORT);
    if (port < 1 || port > 65535) {
      throw new NetworkConfigException("udp Port out of range: " + port);
    }
    int mtu = ext.mtu() - ENCAP_OVERHEAD;
    if (mtu < 68) {
      throw new BackendException("external interface MTU " + ext.mtu() + " is too small for the udp backend");
    }

    List<UdpSocket> sockets = new ArrayList<>();
    UdpPlane plane = null;
    try {
      // Bind before taking a lease, so a busy port fails without side effects.
      for (int i = 0; i < options.queues(); i++) {
        try {
          sockets.add(UdpSocket.bind(ext.ifaceAddr(), port, options.socketBufferBytes(), options.queues() > 1));
        } catch (IOException e) {
          throw new BackendException("udp: cannot bind " + ext.ifaceAddr() + ":" + port + ": " + e.getMessage(), e);
        }
      }
      Lease lease = context.subnetManager().acquireLease(LeaseAttrs.of(ext.extAddr()));
      UdpPlane.Spec spec = new UdpPlane.Spec(lease, config.network(), mtu, port, options, sockets, new Counters());
      plane = UdpPlane.open(spec, options.offload(), PeerTable.EMPTY);
      UdpNetwork net = new UdpNetwork(spec, plane, context.reconcileListener());
      try {
        net.start();
      } catch (NetlinkException e) {
        throw new BackendException("udp: cannot watch " + plane.name() + ": " + e.getMessage(), e);
      }
      return net;
    } catch (RuntimeException | Error e) {
      if (plane != null && !plane.close()) {
        log.error("udp data path of {} did not stop within 5 s; leaving its fds open", plane.name());
        throw e;
      }
      sockets.forEach(UdpSocket::close);
      throw e;
    }
  }

  @Override
  public String toString() {
    return "UdpBackend{" + options + "}";
  }
}
