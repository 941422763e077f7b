package io.overlaynet.netlink;

import io.overlaynet.NetworkConfig;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpNet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which routes of the kernel's table an overlay backend owns, and which of those no lease backs
 * any more: the routes left behind by leases that expired or were deleted while no agent ran
 * (flannel-io/flannel#2554). Pure logic over a table read with one dump.
 *
 * <p>A route is the backend's when it has exactly the shape the backend writes for a remote
 * lease: table main, protocol boot, type unicast, a gateway, the backend's device, and as
 * destination a subnet the network config can lease (its {@code SubnetLen}, between
 * {@code SubnetMin} and {@code SubnetMax}, inside the Network; for IPv6, with {@code EnableIPv6},
 * its {@code IPv6SubnetLen} between {@code IPv6SubnetMin} and {@code IPv6SubnetMax} inside
 * {@code IPv6Network}). So a route of a routing daemon
 * (another protocol), of another table, through another device, without a gateway (a CNI's veth
 * routes), of another length (an aggregate, a host route) or outside the leasable range (space an
 * operator keeps for other hosts) is never touched.
 *
 * <pre>{@code
 * List<Route> stale = OverlayRoutes.unleased(nl.routeList(Family.V4), config, eth0.index(), leasedSubnets);
 * nl.routeDelAll(stale);
 * }</pre>
 */
public final class OverlayRoutes {

  private OverlayRoutes() {}

  /**
   * Returns whether {@code r} has the shape of a route a backend writes on {@code linkIndex} for a
   * remote subnet leased under {@code config} (IPv4, or IPv6 when the config enables it).
   */
  public static boolean isOwned(Route r, NetworkConfig config, int linkIndex) {
    return r.table() == Route.TABLE_MAIN
        && r.protocol() == Route.PROTO_BOOT
        && r.type() == RouteType.UNICAST
        && r.gateway() != null
        && r.linkIndex() == linkIndex
        && isLeasable(r.dst(), config);
  }

  private static boolean isLeasable(IpNet dst, NetworkConfig config) {
    if (dst instanceof Ip4Net d) {
      return config.enableIpv4()
          && d.prefixLength() == config.subnetLen()
          && d.address().compareTo(config.subnetMin()) >= 0
          && d.address().compareTo(config.subnetMax()) <= 0
          && config.network().contains(d);
    }
    Ip6Net d = (Ip6Net) dst;
    return config.enableIpv6()
        && d.prefixLength() == config.ipv6SubnetLen()
        && d.address().compareTo(config.ipv6SubnetMin()) >= 0
        && d.address().compareTo(config.ipv6SubnetMax()) <= 0
        && config.ipv6Network().contains(d);
  }

  /**
   * Returns the owned routes of {@code table} (see {@link #isOwned}) whose destination is none of
   * {@code leased}, the subnets of the other nodes' leases. (This node's own subnet is never
   * reached through a gateway: such a route is stale too, left by the subnet's former holder.)
   */
  public static List<Route> unleased(List<Route> table, NetworkConfig config, int linkIndex,
      Collection<? extends IpNet> leased) {
    Set<IpNet> keep = new HashSet<>(leased);
    List<Route> out = new ArrayList<>();
    for (Route r : table) {
      if (isOwned(r, config, linkIndex) && !keep.contains(r.dst())) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Subscribes to route deletions and runs {@code onDeletion} for each deleted route to a
   * destination inside {@code network} (the Network itself included), and when events were
   * dropped: for a backend that restores deleted routes at once rather than at its next periodic
   * check. {@code onDeletion} runs on the subscription's thread and should only wake a check.
   *
   * @throws NetlinkException if the subscription cannot be opened
   */
  public static Subscription watchDeletions(NetlinkHandle nl, IpNet network, Runnable onDeletion)
      throws NetlinkException {
    return watchDeletions(nl, List.of(network), onDeletion);
  }

  /**
   * As {@link #watchDeletions(NetlinkHandle, IpNet, Runnable)} for routes inside any of
   * {@code networks} (e.g. the IPv4 and the IPv6 Network of a dual-stack node), with one
   * subscription.
   *
   * @throws NetlinkException if the subscription cannot be opened
   */
  public static Subscription watchDeletions(NetlinkHandle nl, Collection<? extends IpNet> networks,
      Runnable onDeletion) throws NetlinkException {
    List<IpNet> watched = List.copyOf(networks);
    return nl.subscribeRoutes(SubscribeOptions.DEFAULT, new NetlinkListener<Route>() {
      @Override
      public void onEvent(NetlinkEvent<Route> event) {
        IpNet dst = event.value().dst();
        if (event.type() == NetlinkEvent.Type.DEL && watched.stream().anyMatch(n -> within(dst, n))) {
          onDeletion.run();
        }
      }

      @Override
      public void onError(NetlinkException error) {
        onDeletion.run(); // events were dropped: look now rather than at the next period
      }
    });
  }

  private static boolean within(IpNet dst, IpNet network) {
    return dst.getClass() == network.getClass() && dst.prefixLength() >= network.prefixLength()
        && network.containsAddress(dst.address());
  }
}
