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
 * creates, so nodes running this library and nodes running flanneld share one overlay.
 *
 * <p>Config ({@code "Backend": {...}}, names case-insensitive): {@code VNI} (1), {@code Port}
 * (0: the kernel's 8472), {@code GBP} (false), {@code Learning} (false), {@code DirectRouting}
 * (false), {@code MTU} (the underlay's). The lease carries {@code BackendType "vxlan"} and
 * {@code BackendData {"VNI":1,"VtepMAC":"..."}}. Beyond flanneld, a deleted device is recreated
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
   * Creates or reuses {@code flannel.<VNI>}, acquires the lease with the device's MAC, gives the
   * device {@code <subnet.0>/32}, brings it up and starts the maintenance thread.
   *
   * @throws NetworkConfigException if the vxlan options are invalid or IPv4 is disabled
   * @throws BackendException if the kernel refuses the device (the kernel's error is the cause)
   * @throws io.overlaynet.OverlayException what the subnet manager throws when acquiring the lease
   */
  @Override
  public Network register(BackendContext context) {
    NetworkConfig netConfig = context.config();
    VxlanConfig cfg = VxlanConfig.parse(netConfig.backend());
    log.info("VXLAN config: {}", cfg);
    if (!netConfig.enableIpv4()) {
      throw new NetworkConfigException("the vxlan backend of overlaynet supports IPv4 only; EnableIPv4 is false");
    }
    if (netConfig.enableIpv6()) {
      log.warn("EnableIPv6 is set but this vxlan backend programs IPv4 only (no flannel-v6.{} device)", cfg.vni());
    }
    ExternalInterface ext = context.externalInterface();
    VxlanDevice.Spec spec = new VxlanDevice.Spec(cfg.deviceName(), cfg.vni(), ext.index(), ext.extAddr(), cfg.port(),
        cfg.learning(), cfg.gbp(), cfg.deviceMtu(ext.mtu()), MacAddress.randomLocallyAdministered(RANDOM));
    NetlinkHandle nl;
    try {
      nl = opener.open();
    } catch (NetlinkException e) {
      throw new BackendException("vxlan: cannot open a netlink socket: " + e.getMessage(), e);
    }
    try {
      Link dev = VxlanDevice.ensure(nl, spec);
      MacAddress mac = dev.attrs().hardwareAddr();
      if (mac == null) {
        throw new BackendException(spec.name() + " has no MAC address");
      }
      // The MAC is published in the lease: keep the one the device has, so a restart changes nothing for peers.
      spec = spec.withMac(mac);
      LeaseAttrs attrs = LeaseAttrs.of(ext.extAddr()).withBackend(TYPE, new VtepData(cfg.vni(), mac).toJson());
      Lease lease = context.subnetManager().acquireLease(attrs);
      Link ready = VxlanDevice.configure(nl, dev, lease.subnet().address(), netConfig.network(), spec.mtu(), mac);
      VxlanDevice.disableAcceptRa(nl, spec.name());
      VxlanNetwork network = new VxlanNetwork(nl, spec, cfg, netConfig, lease, ready.index(), options);
      network.start();
      log.info("watching for new subnet leases");
      return network;
    } catch (NetlinkException e) {
      nl.close();
      throw new BackendException("vxlan: setting up " + spec.name() + " failed: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      nl.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "VxlanBackend{" + options + "}";
  }
}
