package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.NetworkConfig;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A backend of your own, found by ServiceLoader from the config's type, fed by the agent. */
class ExternalBackendTest {

  static void await(BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within 10 s");
      Thread.sleep(10);
    }
  }

  @Test
  void theAgentFindsItByTypeAndFeedsItThePeers() throws Exception {
    assertTrue(Backend.byType("external").isPresent(), "not found through META-INF/services");
    try (InMemoryStore store = InMemoryStore.create()) {
      store.put("/coreos.com/network/config", NetworkConfig.builder().withNetwork(Ip4Net.parse("10.5.0.0/16"))
          .withBackend("external").build().toJson(), Store.NO_TTL);
      try (Agent agent = Agent.builder().store(store, "/coreos.com/network")
          .externalInterface(ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")))
          .options(AgentOptions.DEFAULT.withoutSubnetFile().withForwardRules(false)).build()) {
        Lease own = agent.start(Duration.ofSeconds(10));
        assertEquals("external", LeaseCodec.parseAttrs(store.get("/coreos.com/network/subnets/" + own.key())
            .orElseThrow().value()).backendType());
        ExternalBackend.ExternalNetwork net = (ExternalBackend.ExternalNetwork) agent.network().orElseThrow();
        assertEquals(1500, net.mtu());
        // The agent picks its subnet at random: the peer's must be another one.
        String peer = own.subnet().equals(Ip4Net.parse("10.5.77.0/24")) ? "10.5.78.0" : "10.5.77.0";
        store.put("/coreos.com/network/subnets/" + peer + "-24",
            LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.77")).withBackend("external", null)), Store.NO_TTL);
        await(() -> net.peers().containsKey(peer + "-24"));
        assertEquals(1, net.peers().size(), "its own lease is not a peer");
        store.delete("/coreos.com/network/subnets/" + peer + "-24");
        await(() -> net.peers().isEmpty());
      }
    }
  }
}
