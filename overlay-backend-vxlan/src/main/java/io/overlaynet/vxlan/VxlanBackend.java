package io.overlaynet.vxlan;

import io.overlaynet.Backend;
import io.overlaynet.BackendException;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.Network;
import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import java.security.SecureRandom;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code vxlan} backend: a kernel VXLAN device {@code flannel.<VNI>} and, per remote lease, a
 * permanent ARP entry, a permanent FDB entry and an onlink route, exactly the objects flanneld
 * creates, so nodes running this library and nodes running flanneld share one overlay. With
 * {@code "EnableIPv6": true} the same over IPv6 on {@code flannel-v6.<VNI>} (local address: the
 * external interface's IPv6 address; MTU: the underlay's - 70), published as {@code PublicIPv6}
 * and {@code BackendV6Data}; with {@code "EnableIPv4": false} only {@code flannel-v6.<VNI>}.
 *
 * <p>Config ({@code "Backend": {...}}, names case-insensitive): {@code VNI} (1), {@code Port}
 * (0: the kernel's 8472), {@code GBP} (false), {@code Learning} (false), {@code DirectRouting}
 * (false), {@code MTU} (the underlay's). The lease carries {@code BackendType "vxlan"} and
 * {@code BackendData {"VNI":1,"VtepMAC":"..."}} (and {@code BackendV6Data} of the same shape).
 * Beyond flanneld, a deleted device is recreated
 * with the same MAC and every known lease re-programmed, and missing routes and entries are
 * restored every {@link VxlanOptions#reconcileInterval()}.
 *
 * <pre>{@code
 * Backend vxlan = Backend.byType("vxlan").orElseThrow();          // through ServiceLoader
 * Backend tuned = VxlanBackend.create(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofSeconds(5)));
 * try (Agent agent = Agent.builder().store(store, "/coreos.com/network").backend(tuned).build()) {
 *   agent.start();
 * }
 * }</pre>
 *
 * <p>{@link #register} must run on a thread inside the node's network namespace: the netlink
 * socket and the backend's threads are created there.
 */
public final class VxlanBackend implements Backend {

  private static final Logger log = LoggerFactory.getLogger(VxlanBackend.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The flannel type name. */
  public static final String TYPE = "vxlan";

  private final VxlanOptions options;
  private final NetlinkOpener opener;

  /** Opens the netlink handle; a seam for unit tests with a fake kernel. */
  interface NetlinkOpener {
    NetlinkHandle open() throws NetlinkException;
  }

  VxlanBackend(VxlanOptions options, NetlinkOpener opener) {
    this.options = Objects.requireNonNull(options, "options");
    this.opener = Objects.requireNonNull(opener, "opener");
  }

  /** Returns a vxlan backend with {@link VxlanOptions#DEFAULT}. */
  public static VxlanBackend create() {
    return create(VxlanOptions.DEFAULT);
  }

  /** Returns a vxlan backend with {@code options}. */
  public static VxlanBackend create(VxlanOptions options) {
    return new VxlanBackend(options, NetlinkHandle::open);
  }

  /** Returns {@code vxlan}. */
  @Override
  public String type() {
    return TYPE;
  }

  /**
   * Creates or reuses {@code flannel.<VNI>} (with IPv4) and {@code flannel-v6.<VNI>} (with
   * {@code EnableIPv6}), acquires the lease with the devices' MACs, gives each device the lease's
   * network address of its family as a host address ({@code /32}, {@code /128}), brings them up
   * and starts the maintenance thread.
   *
   * @throws NetworkConfigException if the vxlan options are invalid
   * @throws BackendException if IPv6 is enabled and the external interface has no IPv6 address,
   *     or the kernel refuses a device (the kernel's error is the cause)
   * @throws io.overlaynet.OverlayException what the subnet manager throws when acquiring the lease
   */
  @Override
  public Network register(BackendContext context) {
    NetworkConfig netConfig = context.config();
    VxlanConfig cfg = VxlanConfig.parse(netConfig.backend());
    log.info("VXLAN config: {}", cfg);
    ExternalInterface ext = context.externalInterface();
    VxlanDevice.Spec spec4 = netConfig.enableIpv4() ? spec(cfg.deviceName(), cfg, ext, ext.extAddr(),
        cfg.deviceMtu(ext.mtu())) : null;
    VxlanDevice.Spec spec6 = netConfig.enableIpv6() ? spec6(cfg, ext) : null;
    NetlinkHandle nl;
    try {
      nl = opener.open();
    } catch (NetlinkException e) {
      throw new BackendException("vxlan: cannot open a netlink socket: " + e.getMessage(), e);
    }
    String current = (spec4 != null ? spec4 : spec6).name();
    try {
      Link dev4 = null;
      Link dev6 = null;
      // flanneld publishes PublicIP 0.0.0.0 and no BackendData when IPv4 is off (vxlan.go newSubnetAttrs).
      LeaseAttrs attrs = LeaseAttrs.of(Ip4.ANY).withBackend(TYPE, null);
      if (spec4 != null) {
        dev4 = VxlanDevice.ensure(nl, spec4);
        // The MAC is published in the lease: keep the one the device has, so a restart changes nothing for peers.
        spec4 = spec4.withMac(macOf(dev4));
        attrs = LeaseAttrs.of(ext.extAddr()).withBackend(TYPE, new VtepData(cfg.vni(), spec4.mac()).toJson());
      }
      if (spec6 != null) {
        current = spec6.name();
        dev6 = VxlanDevice.ensure(nl, spec6);
        spec6 = spec6.withMac(macOf(dev6));
        attrs = attrs.withPublicIpv6(ext.extV6Addr().orElse((Ip6) spec6.local()))
            .withBackendV6Data(new VtepData(cfg.vni(), spec6.mac()).toJson());
      }
      Lease lease = context.subnetManager().acquireLease(attrs);
      VxlanPlane v4 = null;
      VxlanPlane v6 = null;
      if (spec4 != null) {
        current = spec4.name();
        v4 = new VxlanPlane(nl, spec4, lease.subnet().address(), netConfig.network(), cfg.directRouting(), netConfig,
            dev4.index(), context.reconcileListener());
        v4.setUp(dev4, spec4.mtu());
      }
      if (spec6 != null) {
        current = spec6.name();
        Ip6Net subnet6 = lease.ipv6Subnet().orElseThrow(() -> new BackendException(
            "vxlan: EnableIPv6 is set but the lease " + lease.key() + " has no IPv6 subnet"));
        v6 = new VxlanPlane(nl, spec6, subnet6.address(), netConfig.ipv6Network(), cfg.directRouting(), netConfig,
            dev6.index(), context.reconcileListener());
        v6.setUp(dev6, spec6.mtu());
      }
      // FLANNEL_MTU: flanneld's ext MTU - 50 whenever IPv4 is on (B10: 1450 in dual stack); an
      // IPv6-only node says what fits flannel-v6 (- 70), where flanneld would still say - 50.
      int mtu = spec4 != null ? spec4.mtu() : spec6.mtu();
      VxlanNetwork network = new VxlanNetwork(nl, v4, v6, lease, mtu, options, context.reconcileListener());
      network.start();
      log.info("watching for new subnet leases");
      return network;
    } catch (NetlinkException e) {
      nl.close();
      throw new BackendException("vxlan: setting up " + current + " failed: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      nl.close();
      throw e;
    }
  }

  private static VxlanDevice.Spec spec(String name, VxlanConfig cfg, ExternalInterface ext, IpAddress local,
      int mtu) {
    return new VxlanDevice.Spec(name, cfg.vni(), ext.index(), local, cfg.port(), cfg.learning(), cfg.gbp(), mtu,
        MacAddress.randomLocallyAdministered(RANDOM));
  }

  /** The spec of {@code flannel-v6.<VNI>}: over the external interface's IPv6 address (flanneld's IfaceV6Addr). */
  private static VxlanDevice.Spec spec6(VxlanConfig cfg, ExternalInterface ext) {
    // flanneld v0.20.2 says only "Link not found" here (reference B10).
    Ip6 local = ext.ifaceV6Addr().orElseThrow(() -> new BackendException("vxlan: EnableIPv6 is set but the external "
        + "interface " + ext.name() + " has no IPv6 address, so " + cfg.deviceName6() + " has no local address: give "
        + ext.name() + " an IPv6 address, or pick an interface that has one (--iface; its public address with "
        + "--public-ipv6)"));
    int mtu = cfg.deviceMtu6(ext.mtu());
    if (mtu < VxlanConfig.IPV6_MIN_MTU) {
      throw new BackendException("vxlan: " + cfg.deviceName6() + " would get MTU " + mtu + " ("
          + (cfg.mtu() > 0 ? "MTU " + cfg.mtu() : ext.name() + "'s MTU " + ext.mtu()) + " - "
          + VxlanConfig.ENCAP_OVERHEAD_V6 + "), below IPv6's minimum of " + VxlanConfig.IPV6_MIN_MTU
          + "; raise the MTU of " + ext.name() + " (or the backend's MTU) to at least "
          + (VxlanConfig.IPV6_MIN_MTU + VxlanConfig.ENCAP_OVERHEAD_V6));
    }
    return spec(cfg.deviceName6(), cfg, ext, local, mtu);
  }

  private static MacAddress macOf(Link dev) {
    MacAddress mac = dev.attrs().hardwareAddr();
    if (mac == null) {
      throw new BackendException(dev.name() + " has no MAC address");
    }
    return mac;
  }

  @Override
  public String toString() {
    return "VxlanBackend{" + options + "}";
  }
}
