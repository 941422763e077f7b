package io.overlaynet.hostgw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.Lease;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.netlink.testing.ClusterFixture;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * host-gw over a dual-stack and an IPv6-only underlay ({@code 2001:db8::/64} inside the test's
 * namespaces): agents that choose their interface by name as flanneld users do, containers that
 * reach each other in both families, flanneld's IPv6 routes and lease JSON (reference B10), a
 * deleted IPv6 route restored, and IPv6-only nodes that keep apart (B12).
 */
@Tag("privileged")
class HostGwDualStackIT {

  static final String PREFIX = "/coreos.com/network";
  static final String DUAL = "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24,\"EnableIPv6\":true,"
      + "\"IPv6Network\":\"fd00:5::/56\",\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"host-gw\"}}";
  static final String V6_ONLY = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
      + "\"Backend\":{\"Type\":\"host-gw\"}}";

  @TempDir Path dir;
  private final List<Agent> agents = new ArrayList<>();
  private final InMemoryStore store = InMemoryStore.create();
  private TestCluster cluster;

  @BeforeAll
  static void prerequisites() {
    Prerequisites.requireRoot();
    Prerequisites.require(io.overlaynet.netlink.Netlink.isAvailable(), "rtnetlink",
        "a Linux kernel with netlink: " + io.overlaynet.netlink.Netlink.unavailabilityCause());
    for (String tool : List.of("ip", "ping")) {
      Prerequisites.require(HostGwClusterIT.onPath(tool), "the " + tool + " command", "apt-get install iproute2 iputils-ping");
    }
  }

  @AfterEach
  void tearDown() {
    agents.forEach(Agent::close);
    if (cluster != null) {
      cluster.close();
    }
    store.close();
  }

  /** Starts one agent per host, choosing {@code eth0} by name; returns the leases by host number. */
  private Lease[] start(String config, int hosts) throws Exception {
    cluster = TestCluster.builder().withHosts(hosts).withIpv6Underlay().build();
    store.put(PREFIX + "/config", config, Store.NO_TTL);
    Lease[] leases = new Lease[hosts + 1];
    for (int i = 1; i <= hosts; i++) {
      Agent a = Agent.builder().store(store, PREFIX)
          .backend(HostGwBackend.create(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofSeconds(1))))
          .threadFactory(ClusterFixture.inNamespace(cluster.host(i).netns()))
          .options(AgentOptions.DEFAULT.withInterfaces(List.of("eth0")).withForwardRules(false)
              .withSubnetFile(dir.resolve("h" + i + "/subnet.env")).withConfigRetry(Duration.ofMillis(100)))
          .build();
      agents.add(a);
      leases[i] = a.start(Duration.ofSeconds(20));
    }
    return leases;
  }

  private TestCluster.Container container(int i, Lease l) throws IOException {
    Ip6Net v6 = l.ipv6Subnet().orElseThrow();
    String bridge6 = v6.address().plus(1) + "/" + v6.prefixLength();
    if (l.subnet().isEmpty()) {
      return cluster.addContainer(cluster.host(i), null, null, bridge6, v6.address().plus(2));
    }
    return cluster.addContainer(cluster.host(i), l.subnet().address().plus(1) + "/" + l.subnet().prefixLength(),
        l.subnet().address().plus(2), bridge6, v6.address().plus(2));
  }

  private JsonArray json(int host, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "-n", cluster.host(host).name(), "-j"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
    return out.isBlank() ? new JsonArray() : JsonParser.parseString(out).getAsJsonArray();
  }

  private JsonObject route6(int host, Ip6Net dst) throws Exception {
    for (JsonElement e : json(host, "-6", "route", "show")) {
      if (e.getAsJsonObject().get("dst").getAsString().equals(dst.toString())) {
        return e.getAsJsonObject();
      }
    }
    return null;
  }

  @Test
  void dualStackContainersReachEachOtherInBothFamiliesOverFlanneldsRoutes() throws Exception {
    Lease[] leases = start(DUAL, 3);
    TestCluster.Container[] c = new TestCluster.Container[4];
    for (int i = 1; i <= 3; i++) {
      c[i] = container(i, leases[i]);
    }
    for (int i = 1; i <= 3; i++) {
      for (int j = 1; j <= 3; j++) {
        if (i != j) {
          assertTrue(cluster.awaitPing(c[i].netns(), c[j].ip(), Duration.ofSeconds(10)), c[i] + " -> " + c[j].ip());
          assertTrue(cluster.awaitPing(c[i].netns(), c[j].ip6().orElseThrow(), Duration.ofSeconds(10)),
              c[i] + " -> " + c[j].ip6().orElseThrow());
        }
      }
    }
    assertEquals("HELLO OVER IPV6", cluster.tcpExchange(c[1].netns(), c[2].netns(), c[2].ip6().orElseThrow(), 7006,
        "hello over ipv6"));

    for (int i = 1; i <= 3; i++) {
      Lease l = leases[i];
      Ip6 pub6 = cluster.host(i).underlayIp6().orElseThrow();
      // B10: {"PublicIP":"192.0.2.11","PublicIPv6":"2001:db8::11","BackendType":"host-gw"}
      assertEquals("{\"PublicIP\":\"" + cluster.host(i).underlayIp() + "\",\"PublicIPv6\":\"" + pub6
          + "\",\"BackendType\":\"host-gw\"}", store.get(PREFIX + "/subnets/" + l.key()).orElseThrow().value());
      // B10's order, host-gw: the underlay MTU
      assertEquals("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=" + l.subnet().address().plus(1) + "/24\n"
          + "FLANNEL_IPV6_NETWORK=fd00:5::/56\nFLANNEL_IPV6_SUBNET=" + l.ipv6Subnet().orElseThrow().address().plus(1)
          + "/64\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n", Files.readString(dir.resolve("h" + i + "/subnet.env")));
      for (int j = 1; j <= 3; j++) {
        if (j == i) {
          continue;
        }
        // B10: fd00:5:0:16::/64 via 2001:db8::12 dev eth0 metric 1024
        JsonObject r = route6(i, leases[j].ipv6Subnet().orElseThrow());
        assertTrue(r != null, "h" + i + ": no route to " + leases[j].ipv6Subnet());
        assertEquals(cluster.host(j).underlayIp6().orElseThrow().toString(), r.get("gateway").getAsString(), r.toString());
        assertEquals("eth0", r.get("dev").getAsString(), r.toString());
        assertEquals(1024, r.get("metric").getAsInt(), r.toString());
        // iproute2 leaves out the protocol when it is boot, as in B10's line
        assertTrue(!r.has("protocol") || r.get("protocol").getAsString().equals("boot"), r.toString());
      }
    }

    // A v6 route deleted by hand comes back (the route watch), and traffic with it.
    Ip6Net to2 = leases[2].ipv6Subnet().orElseThrow();
    json(1, "-6", "route", "del", to2.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (route6(1, to2) == null) {
      assertTrue(System.nanoTime() < deadline, "the IPv6 route to " + to2 + " was not restored on h1");
      Thread.sleep(50);
    }
    assertTrue(cluster.awaitPing(c[1].netns(), c[2].ip6().orElseThrow(), Duration.ofSeconds(10)));

    // A host that leaves takes its IPv6 route with it.
    Ip6Net to3 = leases[3].ipv6Subnet().orElseThrow();
    agents.get(2).close();
    store.delete(PREFIX + "/subnets/" + leases[3].key());
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (route6(1, to3) != null) {
      assertTrue(System.nanoTime() < deadline, "the IPv6 route to " + to3 + " stayed on h1 after its lease went");
      Thread.sleep(50);
    }
  }

  @Test
  void ipv6OnlyNodesKeepTheirOwnSubnetsAndReachEachOther() throws Exception {
    Lease[] leases = start(V6_ONLY, 2);
    assertTrue(leases[1].subnet().isEmpty() && leases[2].subnet().isEmpty());
    assertTrue(!leases[1].ipv6Subnet().equals(leases[2].ipv6Subnet()),
        "flanneld v0.20.2 gives the second IPv6-only node the first one's lease (B12)");
    for (int i = 1; i <= 2; i++) {
      assertTrue(store.get(PREFIX + "/subnets/0.0.0.0-24&" + leases[i].ipv6Subnet().orElseThrow().address() + "-64")
          .isPresent(), "flanneld's IPv6-only key");
    }
    TestCluster.Container c1 = container(1, leases[1]);
    TestCluster.Container c2 = container(2, leases[2]);
    assertTrue(cluster.awaitPing(c1.netns(), c2.ip6().orElseThrow(), Duration.ofSeconds(10)));
    assertTrue(cluster.awaitPing(c2.netns(), c1.ip6().orElseThrow(), Duration.ofSeconds(10)));
    assertTrue(json(1, "-4", "route", "show").toString().indexOf("via") < 0, "no IPv4 routes: " + json(1, "-4", "route"));
  }
}
