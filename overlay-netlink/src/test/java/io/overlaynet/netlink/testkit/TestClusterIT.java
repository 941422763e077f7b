package io.overlaynet.netlink.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Netlink;
import io.overlaynet.testing.Prerequisites;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kit itself: two hosts and two containers with host-gw style routes (what the host-gw
 * backend will program), reachability by ping and TCP, and complete teardown.
 */
@Tag("privileged")
class TestClusterIT {

  @BeforeEach
  void prerequisites() {
    Prerequisites.requireRoot();
    Prerequisites.require(Netlink.isAvailable(), "rtnetlink", String.valueOf(Netlink.unavailabilityCause()));
    Prerequisites.require(new java.io.File("/usr/bin/ping").canExecute() || new java.io.File("/bin/ping").canExecute(),
        "the ping binary", "apt-get install iputils-ping");
  }

  @Test
  void twoHostsTwoContainersWithPlainRoutes() throws Exception {
    List<String> names;
    try (TestCluster c = TestCluster.builder().withHosts(2).build()) {
      TestCluster.Host h1 = c.host(1);
      TestCluster.Host h2 = c.host(2);
      assertEquals(Ip4.parse("192.0.2.11"), h1.underlayIp());
      assertTrue(c.ping(h1.netns(), h2.underlayIp()), "underlay h1 -> h2");

      TestCluster.Container c1 = c.addContainer(h1, "10.5.7.1/24", Ip4.parse("10.5.7.2"));
      TestCluster.Container c2 = c.addContainer(h2, "10.5.8.1/24", Ip4.parse("10.5.8.2"));
      assertTrue(c.ping(c1.netns(), Ip4.parse("10.5.7.1")), "container -> own bridge");
      assertFalse(c.ping(c1.netns(), c2.ip()), "no overlay route yet");

      // host-gw: a route per remote subnet via the remote host's underlay address
      h1.netlink().routeReplace(Route.builder(IpNet.parse("10.5.8.0/24")).withGateway(h2.underlayIp())
          .withLinkIndex(h1.netlink().linkByName("eth0").index()).build());
      h2.netlink().routeReplace(Route.builder(IpNet.parse("10.5.7.0/24")).withGateway(h1.underlayIp())
          .withLinkIndex(h2.netlink().linkByName("eth0").index()).build());
      assertTrue(c.awaitPing(c1.netns(), c2.ip(), Duration.ofSeconds(5)), "c1 -> c2");
      assertTrue(c.ping(c2.netns(), c1.ip()), "c2 -> c1");
      assertEquals("HELLO OVERLAY", c.tcpExchange(c1.netns(), c2.netns(), c2.ip(), 7777, "hello overlay"));

      names = NetNs.list().stream().filter(n -> n.startsWith(c.prefix() + "-")).toList();
      assertEquals(5, names.size(), names.toString()); // underlay, 2 hosts, 2 containers
    }
    for (String n : names) {
      assertFalse(NetNs.exists(n), n + " left behind");
    }
  }

  @Test
  void fixedPrefixRemovesLeftoversOfACrashedRun() throws Exception {
    NetNs.create("ovtkit-h9").close(); // what a crashed run would leave
    try (TestCluster c = TestCluster.builder().withPrefix("ovtkit").withHosts(1).build()) {
      assertEquals("ovtkit", c.prefix());
      assertFalse(NetNs.exists("ovtkit-h9"));
      assertTrue(NetNs.exists("ovtkit-h1"));
    }
    assertFalse(NetNs.exists("ovtkit-h1"));
    assertFalse(NetNs.exists("ovtkit-ul"));
  }
}
