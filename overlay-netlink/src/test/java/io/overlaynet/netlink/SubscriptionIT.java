package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Change subscriptions for links, addresses, routes and neighbours; prompt close. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class SubscriptionIT {

  private static <T> NetlinkEvent<T> await(BlockingQueue<NetlinkEvent<T>> q, Predicate<NetlinkEvent<T>> p)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      NetlinkEvent<T> e = q.poll(100, TimeUnit.MILLISECONDS);
      if (e != null && p.test(e)) {
        return e;
      }
    }
    throw new AssertionError("event not seen");
  }

  @Test
  void deliversChangesAndClosesPromptly(NetNs ns) throws Exception {
    BlockingQueue<NetlinkEvent<Link>> links = new LinkedBlockingQueue<>();
    BlockingQueue<NetlinkEvent<Address>> addrs = new LinkedBlockingQueue<>();
    BlockingQueue<NetlinkEvent<Route>> routes = new LinkedBlockingQueue<>();
    BlockingQueue<NetlinkEvent<Neighbor>> neighs = new LinkedBlockingQueue<>();
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Subscription ls = h.subscribeLinks(SubscribeOptions.DEFAULT.withListExisting(true), links::add);
      Subscription as = h.subscribeAddresses(SubscribeOptions.DEFAULT, addrs::add);
      Subscription rs = h.subscribeRoutes(SubscribeOptions.DEFAULT, routes::add);
      Subscription ns2 = h.subscribeNeighbors(SubscribeOptions.DEFAULT, neighs::add);
      await(links, e -> e.type() == NetlinkEvent.Type.NEW && e.value().name().equals("lo")); // listed
      Link vx = h.linkAdd(Link.of("flannel.1", VxlanInfo.builder(1).withLearning(false).build()));
      await(links, e -> e.type() == NetlinkEvent.Type.NEW && e.value().name().equals("flannel.1")
          && e.value().info() instanceof VxlanInfo v && v.vni() == 1);
      h.linkSetUp(vx.index());
      h.addrAdd(Address.of(vx.index(), "10.5.96.0/32"));
      await(addrs, e -> e.type() == NetlinkEvent.Type.NEW && e.value().ip().equals(Ip4.parse("10.5.96.0")));
      Route r = Route.builder(IpNet.parse("10.5.60.0/24")).withGateway(Ip4.parse("10.5.60.0"))
          .withLinkIndex(vx.index()).withOnlink(true).build();
      h.routeReplace(r);
      await(routes, e -> e.type() == NetlinkEvent.Type.NEW && e.value().equals(r));
      h.neighSet(Neighbor.permanent(vx.index(), Ip4.parse("10.5.60.0"), MacAddress.parse("92:dc:75:59:97:4a")));
      await(neighs, e -> e.type() == NetlinkEvent.Type.NEW && e.value().ip().equals(Ip4.parse("10.5.60.0")));
      h.routeDel(r);
      await(routes, e -> e.type() == NetlinkEvent.Type.DEL && e.value().dst().equals(r.dst()));
      h.linkDel(vx.index());
      await(links, e -> e.type() == NetlinkEvent.Type.DEL && e.value().name().equals("flannel.1"));

      assertTrue(ls.isActive());
      long start = System.nanoTime();
      ls.close();
      as.close();
      rs.close();
      ns2.close();
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "close within 1 s");
      assertFalse(ls.isActive());
    }
  }

  @Test
  void handleCloseFailsRequestsAndIsIdempotent(NetNs ns) throws Exception {
    NetlinkHandle h = NetlinkHandle.open();
    h.close();
    h.close();
    NetlinkException e = org.junit.jupiter.api.Assertions.assertThrows(NetlinkException.class, h::linkList);
    org.junit.jupiter.api.Assertions.assertEquals(9, e.errno());
  }
}
