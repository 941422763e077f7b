package io.overlaynet.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.ExternalInterface;
import io.overlaynet.ip.Ip4;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.traffic.ForwardSpec;
import io.overlaynet.traffic.MasqSpec;
import io.overlaynet.traffic.TrafficManager;
import io.overlaynet.traffic.TrafficMode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent picks the traffic manager of the config's {@code EnableNFTables} and, first, removes
 * the rules of the other mode (flanneld's "Cleaning-up unused traffic manager rules"), over
 * recording managers.
 */
class AgentTrafficModeTest {

  private static final String PREFIX = "/coreos.com/network";
  private final InMemoryStore store = InMemoryStore.create();
  private final List<String> calls = new CopyOnWriteArrayList<>();

  @TempDir
  Path dir;

  @AfterEach
  void closeStore() {
    store.close();
  }

  private List<String> startAndStop(String config) {
    store.put(PREFIX + "/config", config, Store.NO_TTL);
    try (Agent a = Agent.builder().store(store, PREFIX).backend(new AgentTest.FakeBackend())
        .externalInterface(ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")))
        .options(AgentOptions.DEFAULT.withIpMasq(true).withSubnetFile(dir.resolve("subnet.env")))
        .trafficManager((o, mode) -> new Recording(mode)).build()) {
      a.start();
    }
    return List.copyOf(calls);
  }

  @Test
  void nftablesModeRemovesTheIptablesRulesFirst() {
    assertEquals(List.of("IPTABLES removeRules", "IPTABLES close", "NFTABLES masq", "NFTABLES forward",
        "NFTABLES close"),
        startAndStop("{\"Network\":\"10.5.0.0/16\",\"EnableNFTables\":true,\"Backend\":{\"Type\":\"fake\"}}"));
  }

  @Test
  void iptablesModeRemovesTheNftablesTablesFirst() {
    assertEquals(List.of("NFTABLES removeRules", "NFTABLES close", "IPTABLES masq", "IPTABLES forward",
        "IPTABLES close"), startAndStop("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"fake\"}}"));
  }

  /** Records each call with its mode. */
  private final class Recording implements TrafficManager {
    private final TrafficMode mode;

    Recording(TrafficMode mode) {
      this.mode = mode;
    }

    @Override
    public void setupMasqRules(MasqSpec spec) {
      calls.add(mode + " masq");
    }

    @Override
    public void setupForwardRules(ForwardSpec spec) {
      calls.add(mode + " forward");
    }

    @Override
    public void removeRules() {
      calls.add(mode + " removeRules");
    }

    @Override
    public void close() {
      calls.add(mode + " close");
    }
  }
}
