package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpNet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which routes a backend owns, and which of those no lease backs. */
class OverlayRoutesTest {

  static final Ip4Net NETWORK = Ip4Net.parse("10.5.0.0/16");
  static final int ETH0 = 2;

  static Route.Builder via(String dst, String gw, int dev) {
    return Route.builder(IpNet.parse(dst)).withGateway(Ip4.parse(gw)).withLinkIndex(dev);
  }

  @Test
  void aRouteOfTheBackendsShapeInsideTheNetworkIsOwned() {
    assertTrue(OverlayRoutes.isOwned(via("10.5.90.0/24", "192.0.2.12", ETH0).build(), NETWORK, ETH0));
  }

  @Test
  void routesOfOtherShapesAreNeverOwned() {
    List<Route> foreign = List.of(
        via("192.168.7.0/24", "192.0.2.1", ETH0).build(),                      // outside the Network
        via("10.5.0.0/16", "192.0.2.1", ETH0).build(),                         // the Network itself
        via("10.0.0.0/8", "192.0.2.1", ETH0).build(),                          // wider than the Network
        via("10.5.90.0/24", "192.0.2.12", 3).build(),                          // another device
        via("10.5.90.0/24", "192.0.2.12", ETH0).withProtocol(186).build(),     // a routing daemon's (bird)
        via("10.5.90.0/24", "192.0.2.12", ETH0).withTable(100).build(),        // another table
        via("10.5.90.0/24", "192.0.2.12", ETH0).withType(RouteType.BLACKHOLE).build(),
        Route.builder(IpNet.parse("10.5.90.0/24")).withLinkIndex(ETH0).build(), // no gateway
        Route.builder(IpNet.parse("fd00:5::/64")).withGateway(io.overlaynet.ip.Ip6.parse("fe80::1"))
            .withLinkIndex(ETH0).build());                                        // another family
    for (Route r : foreign) {
      assertFalse(OverlayRoutes.isOwned(r, NETWORK, ETH0), r.toString());
    }
  }

  @Test
  void unleasedKeepsEveryLeasedSubnet() {
    Route leased = via("10.5.90.0/24", "192.0.2.12", ETH0).build();
    Route stale = via("10.5.85.0/24", "192.0.2.13", ETH0).build();
    Route foreign = via("192.168.7.0/24", "192.0.2.1", ETH0).build();
    assertEquals(List.of(stale), OverlayRoutes.unleased(List.of(leased, stale, foreign), NETWORK, ETH0,
        List.of(Ip4Net.parse("10.5.90.0/24"), Ip4Net.parse("10.5.83.0/24"))));
  }
}
