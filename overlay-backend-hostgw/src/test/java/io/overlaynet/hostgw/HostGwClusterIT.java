package io.overlaynet.hostgw;

import io.overlaynet.netlink.testing.ClusterFixture;

import static io.overlaynet.netlink.testing.ClusterFixture.PREFIX;
import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.DataPlaneView;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.PeerStatus;
import io.overlaynet.RepairKind;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentException;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.testing.SharedFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three hosts running the host-gw backend over a shared in-memory store, each with a container:
 * reachability, flannel's exact routes (iproute2 JSON), the periodic route check, lease removal,
 * agent restarts, the data plane as the agent reports it (drift, repairs, stale routes) and the
 * NAT refusal. The tests share one cluster and run in order; after a failed test the cluster is
 * built again ({@link SharedFixture}), so each test fails only for its own reason, never for what
 * a failed one left behind.
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostGwClusterIT {

  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"host-gw\"}}";

  @RegisterExtension
  final SharedFixture<ClusterFixture> cluster = new SharedFixture<>(() -> ClusterFixture.startInMemory(3, CONFIG,
      () -> HostGwBackend.create(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofSeconds(1)))));

  private Store store;
  private ClusterFixture f;

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  @BeforeAll
  void prerequisites() {
    Prerequisites.requireRoot();
    Prerequisites.require(io.overlaynet.netlink.Netlink.isAvailable(), "rtnetlink",
        "a Linux kernel with netlink: " + io.overlaynet.netlink.Netlink.unavailabilityCause());
    for (String tool : List.of("ip", "ping")) {
      Prerequisites.require(onPath(tool), "the " + tool + " command", "apt-get install iproute2 iputils-ping");
    }
  }

  @BeforeEach
  void currentCluster() {
    f = cluster.get();
    store = f.store;
  }

  /** Checks host {@code i}'s routes to every other host against flanneld's (reference B4). */
  static void assertFlannelRoutes(ClusterFixture f, int i) throws Exception {
    List<JsonObject> viaPeers = new ArrayList<>();
    int peers = 0;
    for (int j = 1; j <= f.size(); j++) {
      if (j == i || f.leases[j] == null) {
        continue;
      }
      peers++;
      Lease p = f.leases[j];
      JsonObject r = f.route(i, p.subnet().toString());
      assertTrue(r != null, "route to " + p.subnet() + " on h" + i);
      // 10.5.90.0/24 via 192.0.2.12 dev eth0 (unicast, proto boot, scope global, no onlink)
      assertEquals(p.attrs().publicIp().toString(), r.get("gateway").getAsString());
      assertEquals("eth0", r.get("dev").getAsString());
      assertEquals("[]", r.getAsJsonArray("flags").toString());
      assertEquals("unicast", r.get("type").getAsString());
      assertEquals("boot", r.get("protocol").getAsString());
      assertEquals("global", r.get("scope").getAsString());
      viaPeers.add(r);
    }
    long inOverlay = f.routes(i).stream().filter(r -> r.get("dst").getAsString().startsWith("10.5.")
        && r.has("gateway")).count();
    assertEquals(peers, inOverlay, "one route per peer, nothing else: " + viaPeers);
  }

  @Test
  @Order(1)
  void everyContainerReachesEveryOther() throws Exception {
    f.assertAllReach();
  }

  @Test
  @Order(2)
  void routesAreFlannelsAndNoDeviceIsCreated() throws Exception {
    for (int i = 1; i <= 3; i++) {
      assertFlannelRoutes(f, i);
      String links = f.run(i, "ip", "-j", "link", "show");
      assertTrue(!links.contains("flannel"), links);
      assertTrue(f.subnetFile(i).contains("FLANNEL_MTU=1500\n"), f.subnetFile(i));
      String value = store.get(PREFIX + "/subnets/" + f.leases[i].key()).orElseThrow().value();
      assertEquals("{\"PublicIP\":\"" + f.cluster.host(i).underlayIp() + "\",\"PublicIPv6\":null,"
          + "\"BackendType\":\"host-gw\"}", value);
    }
  }

  @Test
  @Order(3)
  void routeDeletedByHandIsRecovered() throws Exception {
    Lease l2 = f.leases[2];
    f.run(1, "ip", "route", "del", l2.subnet().toString());
    await("route recovered on h1", Duration.ofSeconds(15), () -> f.route(1, l2.subnet().toString()) != null);
    assertFlannelRoutes(f, 1);
    f.assertReaches(1, 2);
  }

  @Test
  @Order(4)
  void removedLeaseDisappearsEverywhereAndItsHostComesBackWithTheSameSubnet() throws Exception {
    Lease gone = f.leases[3];
    // h3 goes away and its lease expires (a running agent would take its lease back at once).
    f.stopAgent(3);
    store.delete(PREFIX + "/subnets/" + gone.key());
    for (int host = 1; host <= 2; host++) {
      int h = host;
      await("route to h3 gone on h" + h, Duration.ofSeconds(15), () -> f.route(h, gone.subnet().toString()) == null);
    }
    Lease again = f.startAgent(3);
    assertEquals(gone.subnet(), again.subnet(), "same subnet, from the subnet file");
    f.assertAllReach();
    for (int i = 1; i <= 3; i++) {
      assertFlannelRoutes(f, i);
    }
  }

  @Test
  @Order(5)
  void restartedAgentKeepsItsSubnetAndStaysReachable() throws Exception {
    Lease before = f.leases[2];
    f.stopAgent(2);
    f.assertReaches(1, 2);
    f.assertReaches(2, 3);
    Lease after = f.startAgent(2);
    assertEquals(before.subnet(), after.subnet());
    f.assertAllReach();
    assertFlannelRoutes(f, 2);
  }

  @Test
  @Order(6)
  void aRouteDeletedWhileRepairsArePausedIsMissingForThatPeerOnlyThenRestoredAndCounted() throws Exception {
    Agent h1 = f.agents[1];
    Lease l2 = f.leases[2];
    long restoredBefore = h1.metrics().repairs().get(RepairKind.ROUTE_RESTORED);
    RepairSeam.pause();
    try {
      f.run(1, "ip", "route", "del", l2.subnet().toString());
      DataPlaneView v = h1.dataPlane();
      String wanted = l2.subnet() + " via " + f.cluster.host(2).underlayIp() + " dev eth0";
      assertEquals(List.of(new DataPlaneEntry("route", wanted, Drift.MISSING)), peer(v, l2).entries(), v.toString());
      assertTrue(peer(v, f.leases[3]).inSync(), v.toString());
      assertEquals(List.of(), v.stale());
    } finally {
      RepairSeam.resume();
    }
    await("route restored on h1 once resumed", Duration.ofSeconds(10), () -> f.route(1, l2.subnet().toString()) != null);
    await("the repair counted", Duration.ofSeconds(5),
        () -> h1.metrics().repairs().get(RepairKind.ROUTE_RESTORED) == restoredBefore + 1);
    assertTrue(h1.dataPlane().inSync(), h1.dataPlane().toString());
  }

  @Test
  @Order(7)
  void anOwnedRouteNoLeaseBacksIsStale() throws Exception {
    Ip4Net free = freeSubnet();
    String gateway = f.cluster.host(3).underlayIp().toString();
    f.run(1, "ip", "route", "add", free.toString(), "via", gateway, "dev", "eth0");
    try {
      DataPlaneView v = f.agents[1].dataPlane();
      assertEquals(List.of(new DataPlaneEntry("route", free + " via " + gateway + " dev eth0", Drift.STALE)), v.stale());
      assertEquals(2, v.peers().size());
      assertTrue(v.peers().stream().allMatch(PeerStatus::inSync), v.toString());
    } finally {
      f.run(1, "ip", "route", "del", free.toString());
    }
  }

  private static PeerStatus peer(DataPlaneView v, Lease l) {
    return v.peers().stream().filter(p -> p.lease().key().equals(l.key())).findFirst()
        .orElseThrow(() -> new AssertionError("no status for " + l.subnet() + " in " + v));
  }

  /** A subnet the config could lease that no host holds. */
  private Ip4Net freeSubnet() {
    for (int third = 250; third > 0; third--) {
      Ip4Net candidate = Ip4Net.parse("10.5." + third + ".0/24");
      if (java.util.Arrays.stream(f.leases).noneMatch(l -> l != null && l.subnet().equals(candidate))) {
        return candidate;
      }
    }
    throw new AssertionError("no free subnet");
  }

  @Test
  @Order(8)
  void natIsRefusedWithFlannelsError() throws Exception {
    TestCluster.Host h = f.cluster.host(1);
    Link eth0 = h.netlink().linkByName("eth0");
    ExternalInterface natted = ExternalInterface.ipv4("eth0", eth0.index(), eth0.attrs().mtu(), h.underlayIp())
        .withExtAddr(Ip4.parse("203.0.113.7"));
    try (Agent a = Agent.builder().store(store, PREFIX).backend(HostGwBackend.create()).externalInterface(natted)
        .threadFactory(ClusterFixture.inNamespace(h.netns()))
        .options(AgentOptions.DEFAULT.withForwardRules(false).withoutSubnetFile()).build()) {
      AgentException e = assertThrows(AgentException.class, a::start);
      assertTrue(e.getMessage().contains(HostGwBackend.NAT_ERROR), e.getMessage());
    }
  }
}
