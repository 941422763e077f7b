package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.NetworkConfig;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpNet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which routes a backend owns, and which of those no lease backs. */
class OverlayRoutesTest {

  /** Leasable: /24s from 10.5.1.0 to 10.5.199.0; the rest of 10.5.0.0/16 is the operator's. */
  static final NetworkConfig CONFIG = NetworkConfig.parse(
      "{\"Network\":\"10.5.0.0/16\",\"SubnetMax\":\"10.5.199.0\",\"Backend\":{\"Type\":\"host-gw\"}}");
  static final int ETH0 = 2;

  /** What {@code ip route add DST via GW dev DEV} makes. */
  static Route.Builder via(String dst, String gw, int dev) {
    return Route.builder(IpNet.parse(dst)).withGateway(Ip4.parse(gw)).withLinkIndex(dev);
  }

  @Test
  void aRouteOfTheBackendsShapeToALeasableSubnetIsOwned() {
    assertTrue(OverlayRoutes.isOwned(via("10.5.90.0/24", "192.0.2.12", ETH0).build(), CONFIG, ETH0));
    assertTrue(OverlayRoutes.isOwned(via("10.5.199.0/24", "192.0.2.12", ETH0).build(), CONFIG, ETH0));
  }

  @Test
  void routesNoLeaseCouldHaveMadeAreNeverOwned() {
    List<Route> foreign = List.of(
        via("192.168.7.0/24", "192.0.2.1", ETH0).build(),                      // outside the Network
        via("10.5.0.0/16", "192.0.2.1", ETH0).build(),                         // the Network itself
        via("10.0.0.0/8", "192.0.2.1", ETH0).build(),                          // wider than the Network
        via("10.5.128.0/17", "192.0.2.1", ETH0).build(),                       // an aggregate inside it
        via("10.5.90.7/32", "192.0.2.1", ETH0).build(),                        // a host route inside a subnet
        via("10.5.250.0/24", "192.0.2.1", ETH0).build(),                       // above SubnetMax
        via("10.5.0.0/24", "192.0.2.1", ETH0).build(),                         // below SubnetMin
        via("10.5.90.0/24", "192.0.2.12", 3).build(),                          // another device
        via("10.5.90.0/24", "192.0.2.12", ETH0).withProtocol(186).build(),     // a routing daemon's (bird)
        via("10.5.90.0/24", "192.0.2.12", ETH0).withTable(100).build(),        // another table
        via("10.5.90.0/24", "192.0.2.12", ETH0).withType(RouteType.BLACKHOLE).build(),
        Route.builder(IpNet.parse("10.5.90.0/24")).withLinkIndex(ETH0).build(), // no gateway (a CNI's)
        Route.builder(IpNet.parse("fd00:5::/64")).withGateway(io.overlaynet.ip.Ip6.parse("fe80::1"))
            .withLinkIndex(ETH0).build());                                        // another family
    for (Route r : foreign) {
      assertFalse(OverlayRoutes.isOwned(r, CONFIG, ETH0), r.toString());
    }
  }

  /** Dual stack: leasable IPv6 /64s from fd00:5:0:1:: to fd00:5:0:c7:: of fd00:5::/56. */
  static final NetworkConfig DUAL = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,"
      + "\"IPv6Network\":\"fd00:5::/56\",\"IPv6SubnetLen\":64,\"IPv6SubnetMax\":\"fd00:5:0:c7::\","
      + "\"Backend\":{\"Type\":\"vxlan\"}}");

  static Route.Builder via6(String dst, String gw, int dev) {
    return Route.builder(IpNet.parse(dst)).withGateway(io.overlaynet.ip.Ip6.parse(gw)).withLinkIndex(dev);
  }

  @Test
  void ipv6RoutesToLeasableSubnetsAreOwnedWhenTheConfigEnablesIpv6() {
    Route direct = via6("fd00:5:0:16::/64", "2001:db8::12", ETH0).build();
    assertTrue(OverlayRoutes.isOwned(direct, DUAL, ETH0));
    assertTrue(OverlayRoutes.isOwned(via6("fd00:5:0:c7::/64", "2001:db8::12", ETH0).build(), DUAL, ETH0));
    assertFalse(OverlayRoutes.isOwned(direct, CONFIG, ETH0), "IPv6 is not enabled there");
    List<Route> foreign = List.of(
        via6("fd00:6::/64", "2001:db8::1", ETH0).build(),                      // outside IPv6Network
        via6("fd00:5::/56", "2001:db8::1", ETH0).build(),                      // the IPv6Network itself
        via6("fd00:5:0:16::/80", "2001:db8::1", ETH0).build(),                 // another length
        via6("fd00:5::/64", "2001:db8::1", ETH0).build(),                      // below IPv6SubnetMin
        via6("fd00:5:0:c8::/64", "2001:db8::1", ETH0).build(),                 // above IPv6SubnetMax
        via6("fd00:5:0:16::/64", "2001:db8::12", 3).build(),                   // another device
        via6("fd00:5:0:16::/64", "2001:db8::12", ETH0).withProtocol(186).build(),
        Route.builder(IpNet.parse("fd00:5:0:16::/64")).withLinkIndex(ETH0).build()); // no gateway
    for (Route r : foreign) {
      assertFalse(OverlayRoutes.isOwned(r, DUAL, ETH0), r.toString());
    }
    Route stale = via6("fd00:5:0:17::/64", "2001:db8::13", ETH0).build();
    assertEquals(List.of(stale), OverlayRoutes.unleased(List.of(direct, stale), DUAL, ETH0,
        List.of(IpNet.parse("fd00:5:0:16::/64"))));
  }

  @Test
  void unleasedKeepsTheOtherNodesSubnetsButNotAGatewayRouteToTheOwnOne() {
    Route leased = via("10.5.90.0/24", "192.0.2.12", ETH0).build();
    Route stale = via("10.5.85.0/24", "192.0.2.13", ETH0).build();
    // This node took the subnet of a node whose lease expired: its old route must go.
    Route own = via("10.5.83.0/24", "192.0.2.14", ETH0).build();
    Route foreign = via("192.168.7.0/24", "192.0.2.1", ETH0).build();
    assertEquals(List.of(stale, own), OverlayRoutes.unleased(List.of(leased, stale, own, foreign), CONFIG, ETH0,
        List.of(Ip4Net.parse("10.5.90.0/24"))));
  }
}
