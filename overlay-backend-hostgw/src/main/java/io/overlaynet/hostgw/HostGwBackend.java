package io.overlaynet.hostgw;

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
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code host-gw} backend: no device and no encapsulation; each remote subnet is routed via
 * the remote node's public IP on the underlay interface ({@code ip route replace 10.5.90.0/24 via
 * 192.0.2.12 dev eth0}), as flanneld does. Needs every node on one layer-2 network, and refuses
 * NAT (a public IP that is not the interface's address). Routes deleted from outside come back
 * within {@link HostGwOptions#routeCheckInterval()}. The lease carries
 * {@code BackendType "host-gw"} and no backend data.
 *
 * <pre>{@code
 * Backend hostGw = Backend.byType("host-gw").orElseThrow();        // through ServiceLoader
 * Backend quick = HostGwBackend.create(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofSeconds(2)));
 * }</pre>
 *
 * <p>{@link #register} must run on a thread inside the node's network namespace: the netlink
 * socket and the route check thread are created there.
 */
public final class HostGwBackend implements Backend {

  private static final Logger log = LoggerFactory.getLogger(HostGwBackend.class);

  /** The flannel type name. */
  public static final String TYPE = "host-gw";

  /** flannel's error for a node behind NAT ({@code pkg/backend/hostgw/hostgw.go}). */
  public static final String NAT_ERROR =
      "your PublicIP differs from interface IP, meaning that probably you're on a NAT, which is not supported by"
          + " host-gw backend";

  /** The same for the public IPv6 address. */
  public static final String NAT_ERROR_V6 =
      "your PublicIPv6 differs from interface IPv6, meaning that probably you're on a NAT, which is not supported by"
          + " host-gw backend";

  private final HostGwOptions options;
  private final NetlinkOpener opener;

  /** Opens the netlink handle; a seam for unit tests with a fake kernel. */
  interface NetlinkOpener {
    NetlinkHandle open() throws NetlinkException;
  }

  HostGwBackend(HostGwOptions options, NetlinkOpener opener) {
    this.options = Objects.requireNonNull(options, "options");
    this.opener = Objects.requireNonNull(opener, "opener");
  }

  /** Returns a host-gw backend with {@link HostGwOptions#DEFAULT}. */
  public static HostGwBackend create() {
    return create(HostGwOptions.DEFAULT);
  }

  /** Returns a host-gw backend with {@code options}. */
  public static HostGwBackend create(HostGwOptions options) {
    return new HostGwBackend(options, NetlinkHandle::open);
  }

  /** Returns {@code host-gw}. */
  @Override
  public String type() {
    return TYPE;
  }

  /**
   * Acquires the lease and starts the route check; routes come with the lease events.
   *
   * @throws BackendException with flannel's message if the public IP is not the interface's
   *     address (NAT), or if the netlink socket or the route watch cannot be opened
   * @throws BackendException if IPv6 is enabled and the interface has no IPv6 address, or its
   *     public IPv6 address differs from the interface's
   * @throws io.overlaynet.OverlayException what the subnet manager throws when acquiring the lease
   */
  @Override
  public Network register(BackendContext context) {
    ExternalInterface ext = context.externalInterface();
    NetworkConfig config = context.config();
    if (config.enableIpv4() && !ext.extAddr().equals(ext.ifaceAddr())) {
      throw new BackendException(NAT_ERROR);
    }
    LeaseAttrs attrs = LeaseAttrs.of(config.enableIpv4() ? ext.extAddr() : Ip4.ANY).withBackend(TYPE, null);
    if (config.enableIpv6()) {
      if (ext.ifaceV6Addr().isEmpty() || ext.extV6Addr().isEmpty()) {
        throw new BackendException("host-gw: the config enables IPv6 but the external interface " + ext.name()
            + " has no IPv6 address; name an interface that has one with --iface");
      }
      if (!ext.extV6Addr().equals(ext.ifaceV6Addr())) {
        throw new BackendException(NAT_ERROR_V6);
      }
      attrs = attrs.withPublicIpv6(ext.extV6Addr().get());
    }
    NetlinkHandle nl;
    try {
      nl = opener.open();
    } catch (NetlinkException e) {
      throw new BackendException("host-gw: cannot open a netlink socket: " + e.getMessage(), e);
    }
    try {
      Lease lease = context.subnetManager().acquireLease(attrs);
      HostGwNetwork network = new HostGwNetwork(nl, lease, config, ext.index(), ext.name(), ext.mtu(), options,
          context.reconcileListener());
      network.start();
      log.info("Watching for new subnet leases");
      return network;
    } catch (NetlinkException e) {
      nl.close();
      throw new BackendException("host-gw: cannot watch the routing table: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      nl.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "HostGwBackend{" + options + "}";
  }
}
