package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Lease;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetFile;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.testing.Prerequisites;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The embedding examples do what their Javadoc says, on two hosts in namespaces. */
@Tag("privileged")
class EmbedIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  @TempDir
  Path dir;

  static List<TestCluster.Container> containers(TestCluster c, List<Lease> leases) throws Exception {
    List<TestCluster.Container> out = new ArrayList<>();
    for (int i = 0; i < leases.size(); i++) {
      Lease l = leases.get(i);
      out.add(c.addContainer(c.host(i + 1), l.subnet().address().plus(1) + "/24", l.subnet().address().plus(2)));
    }
    return out;
  }

  @Test
  void inMemoryEmbedding() throws Exception {
    Prerequisites.requireRoot();
    List<Agent> agents = new ArrayList<>();
    try (TestCluster c = TestCluster.builder().withHosts(2).build();
         InMemoryStore store = EmbedInMemory.newNetwork("10.5.0.0/16", "host-gw")) {
      try {
        for (TestCluster.Host h : c.hosts()) {
          agents.add(EmbedInMemory.startAgent(store, "eth0", h.netns().threadFactory()));
        }
        List<Lease> leases = agents.stream().map(a -> a.lease().orElseThrow()).toList();
        assertNotEquals(leases.get(0).subnet(), leases.get(1).subnet());
        List<TestCluster.Container> cs = containers(c, leases);
        assertTrue(c.awaitPing(cs.get(0).netns(), cs.get(1).ip(), Duration.ofSeconds(10)));
      } finally {
        agents.forEach(Agent::close);
      }
    }
  }

  @Test
  void etcdEmbedding() throws Exception {
    Prerequisites.requireRoot();
    ETCD.server().etcdctl("put", "/coreos.com/network/config", "{\"Network\":\"10.6.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    List<Agent> agents = new ArrayList<>();
    try (TestCluster c = TestCluster.builder().withHosts(2).build();
         EtcdStore store = EmbedEtcd.connect(ETCD.options().endpoints().get(0).toString())) {
      // The first request connects from this thread, so the client lives in this namespace,
      // where etcd's loopback address is; the agents' threads live in the hosts' namespaces.
      store.get("/coreos.com/network/config").orElseThrow();
      try {
        for (TestCluster.Host h : c.hosts()) {
          agents.add(EmbedEtcd.startAgent(store, "eth0", dir.resolve(h.name() + ".env"), h.netns().threadFactory()));
        }
        List<Lease> leases = agents.stream().map(a -> a.lease().orElseThrow()).toList();
        assertEquals(leases.get(0).subnet(),
            SubnetFile.read(dir.resolve(c.host(1).name() + ".env")).orElseThrow().subnet().orElseThrow());
        List<TestCluster.Container> cs = containers(c, leases);
        assertTrue(c.awaitPing(cs.get(1).netns(), cs.get(0).ip(), Duration.ofSeconds(10)));
      } finally {
        agents.forEach(Agent::close);
      }
    }
  }

  @Test
  void aSubnetManagerOfYourOwn() throws Exception {
    Prerequisites.requireRoot();
    InventorySubnetManager.Inventory inventory = new InventorySubnetManager.Inventory(NetworkConfig.builder()
        .withNetwork(Ip4Net.parse("10.5.0.0/16")).withBackend("host-gw").build());
    inventory.assign(Ip4.parse("192.0.2.11"), Ip4Net.parse("10.5.11.0/24"));
    inventory.assign(Ip4.parse("192.0.2.12"), Ip4Net.parse("10.5.12.0/24"));
    List<Agent> agents = new ArrayList<>();
    try (TestCluster c = TestCluster.builder().withHosts(2).build()) {
      try {
        for (TestCluster.Host h : c.hosts()) {
          agents.add(Agent.builder().subnetManager(new InventorySubnetManager(inventory))
              .options(AgentOptions.DEFAULT.withInterfaces(List.of("eth0")).withoutSubnetFile().withForwardRules(false))
              .threadFactory(h.netns().threadFactory()).build());
        }
        List<Lease> leases = new ArrayList<>();
        for (Agent a : agents) {
          leases.add(a.start(Duration.ofSeconds(30)));
        }
        assertEquals(Ip4Net.parse("10.5.11.0/24"), leases.get(0).subnet(), "the subnet the inventory assigned");
        List<TestCluster.Container> cs = containers(c, leases);
        assertTrue(c.awaitPing(cs.get(0).netns(), cs.get(1).ip(), Duration.ofSeconds(10)));
        // The orchestrator takes node 2 out: node 1 drops its route, node 2's agent stops.
        inventory.release(Ip4.parse("192.0.2.12"));
        agents.get(1).stopped().handle((v, e) -> null).get(10, java.util.concurrent.TimeUnit.SECONDS);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!AgentProcessIT.run("ip", "-n", c.host(1).name(), "route", "show", "10.5.12.0/24").isBlank()) {
          assertTrue(System.nanoTime() < deadline, "node 1 kept its route to the released node");
          Thread.sleep(50);
        }
      } finally {
        agents.forEach(Agent::close);
      }
    }
  }
}
