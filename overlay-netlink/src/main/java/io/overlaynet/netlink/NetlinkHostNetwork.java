package io.overlaynet.netlink;

import io.overlaynet.agent.HostAddress;
import io.overlaynet.agent.HostInterface;
import io.overlaynet.agent.HostNetwork;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@link HostNetwork} over rtnetlink, in the network namespace of the calling thread; the agent
 * finds it with {@link java.util.ServiceLoader} when this module is on the class path. Unlike the
 * JDK's view, it is correct for threads that entered another namespace.
 */
public final class NetlinkHostNetwork implements HostNetwork {

  /** Creates the provider; each call opens a short-lived handle in the caller's namespace. */
  public NetlinkHostNetwork() {}

  @Override
  public List<HostInterface> interfaces() {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      List<Address> addrs = h.addrList(0, Family.ALL);
      List<HostInterface> out = new ArrayList<>();
      for (Link l : h.linkList()) {
        // An address whose duplicate detection failed is not the host's to use.
        List<HostAddress> mine = addrs.stream().filter(a -> a.linkIndex() == l.attrs().index())
            .filter(a -> (a.flags() & Address.DADFAILED) == 0)
            .map(NetlinkHostNetwork::hostAddress).toList();
        out.add(new HostInterface(l.attrs().name(), l.attrs().index(), l.attrs().mtu(), l.attrs().isUp(), mine));
      }
      return out;
    } catch (NetlinkException e) {
      throw new UncheckedIOException("listing interfaces: " + e.getMessage(), e);
    }
  }

  private static HostAddress hostAddress(Address a) {
    boolean v6 = a.ip() instanceof Ip6;
    return new HostAddress(a.ip(), a.scope() == Scope.UNIVERSE, (a.flags() & Address.PERMANENT) != 0,
        v6 && (a.flags() & Address.TEMPORARY) != 0, (a.flags() & Address.DEPRECATED) != 0);
  }

  @Override
  public Optional<Integer> defaultRouteInterface() {
    return defaultRoute(Family.V4);
  }

  @Override
  public Optional<Integer> defaultIpv6RouteInterface() {
    return defaultRoute(Family.V6);
  }

  private static Optional<Integer> defaultRoute(Family family) {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      // The first default route as the kernel would choose it: lowest metric first.
      return h.routeList(family).stream()
          .filter(r -> r.isDefault() && r.linkIndex() > 0)
          .min(Comparator.comparingInt(Route::priority))
          .map(Route::linkIndex);
    } catch (NetlinkException e) {
      throw new UncheckedIOException("listing routes: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<Integer> routeInterfaceTo(IpAddress destination) {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      return h.routeGet(destination).stream().filter(r -> r.linkIndex() > 0).findFirst().map(Route::linkIndex);
    } catch (NetlinkException e) {
      return Optional.empty(); // unreachable destination: no interface can reach it
    }
  }
}
