package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.testing.TestThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Change subscriptions for links, addresses, routes and neighbours; prompt close. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class SubscriptionIT {

  /**
   * How long a subscription's thread waits in one poll (RtnlSubscription.POLL_MILLIS) before it
   * looks at its flag again, less a little for millisecond rounding: a close that only set the
   * flag, without waking the poll, could not end the thread sooner than this after it last polled.
   */
  private static final long POLL_SLICE_MS = 900;

  private static <T> NetlinkEvent<T> await(BlockingQueue<NetlinkEvent<T>> q, Predicate<NetlinkEvent<T>> p)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
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
    TestThreads before = TestThreads.named("netlink-");
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
      Set<Thread> threads = before.started();
      assertEquals(4, threads.size(), threads.toString());
      long start = System.nanoTime();
      ls.close();
      as.close();
      rs.close();
      ns2.close();
      // Each close() joins its thread for at most 1 s; 5 s in all is a bound with margin for a
      // loaded machine. That the wait is a wake-up, not a poll timeout, is the next test's.
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "close within 5 s");
      assertFalse(ls.isActive());
      TestThreads.assertEnd(threads, Duration.ofSeconds(5));
    }
  }

  /**
   * close() wakes the thread from its poll rather than letting the poll run out. Timed from the
   * last event the thread delivered (after which it polls afresh) to close() returning: without a
   * wake-up that cannot be less than {@link #POLL_SLICE_MS}, however fast the machine. With one it
   * is the test thread's own latency, which load can stretch; so the best of a few tries counts.
   */
  @Test
  void closeWakesThePollInsteadOfWaitingForItsTimeout(NetNs ns) throws Exception {
    List<Long> tries = new ArrayList<>();
    try (NetlinkHandle h = NetlinkHandle.open()) {
      for (int i = 0; i < 5; i++) {
        String name = "brw" + i;
        BlockingQueue<NetlinkEvent<Link>> links = new LinkedBlockingQueue<>();
        AtomicLong lastDelivered = new AtomicLong();
        Subscription s = h.subscribeLinks(SubscribeOptions.DEFAULT, e -> {
          links.add(e);
          lastDelivered.set(System.nanoTime());
        });
        h.linkAdd(Link.of(name, BridgeInfo.DEFAULT));
        await(links, e -> e.type() == NetlinkEvent.Type.NEW && e.value().name().equals(name));
        s.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastDelivered.get());
        assertFalse(s.isActive());
        tries.add(ms);
        if (ms < POLL_SLICE_MS) {
          return;
        }
      }
    }
    fail("close() took at least a poll timeout after the last event in every try (ms): " + tries);
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
