package io.overlaynet.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Firewall;
import io.overlaynet.traffic.TrafficListener;
import io.overlaynet.traffic.TrafficManager;
import io.overlaynet.traffic.TrafficOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restarts of an agent whose network config switches {@code EnableNFTables} on and off, with the
 * real iptables and nft of a fresh namespace: each start leaves the rules of its mode and none of
 * the other's.
 */
@Tag("privileged")
class AgentTrafficModeIT {

  private static final String PREFIX = "/coreos.com/network";
  private static final String IPTABLES_CONFIG =
      "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"fake\"}}";
  private static final String NFTABLES_CONFIG = IPTABLES_CONFIG.replace("{\"Network\"", "{\"EnableNFTables\":true,\"Network\"");

  private final InMemoryStore store = InMemoryStore.create();
  private String ns;

  @TempDir
  Path dir;

  @BeforeEach
  void namespace() throws Exception {
    Firewall.requireTools();
    ns = Firewall.addNamespace("ovn-agent-nft");
  }

  @AfterEach
  void cleanUp() throws Exception {
    store.close();
    if (ns != null) {
      Firewall.deleteNamespace(ns);
    }
  }

  private Lease run(String config) {
    store.put(PREFIX + "/config", config, Store.NO_TTL);
    try (Agent a = Agent.builder().store(store, PREFIX).backend(new AgentTest.FakeBackend())
        .externalInterface(new ExternalInterface("eth0", 2, 1500, Ip4.parse("192.0.2.11"), Ip4.parse("192.0.2.11"),
            Optional.of(Ip6.parse("2001:db8::11")), Optional.of(Ip6.parse("2001:db8::11"))))
        .options(AgentOptions.DEFAULT.withIpMasq(true).withSubnetFile(dir.resolve("subnet.env")))
        .trafficManager((o, mode) -> TrafficManager.create(mode,
            TrafficOptions.DEFAULT.withResyncPeriod(o.resyncPeriod()).withCommandPrefix(Firewall.prefix(ns)),
            TrafficListener.NONE))
        .build()) {
      return a.start();
    }
  }

  @Test
  void eachStartLeavesNoRuleOfTheOtherMode() throws Exception {
    Lease lease = run(IPTABLES_CONFIG);
    List<String> iptables = Firewall.iptablesFlannelLines(ns);
    assertEquals(24, iptables.size(), "masq and forward, both families: " + iptables);
    assertTrue(iptables.contains("-A FLANNEL-POSTRTG -s " + lease.subnet() + " -d 10.5.0.0/16 -m comment --comment "
        + "\"flanneld masq\" -j RETURN"), iptables.toString());
    assertFalse(nftRuleset().contains("flannel-ipv"), nftRuleset());

    Lease again = run(NFTABLES_CONFIG);
    assertEquals(lease.subnet(), again.subnet(), "the subnet from subnet.env");
    assertEquals(List.of(), Firewall.iptablesFlannelLines(ns), "no iptables rule left");
    String ruleset = nftRuleset();
    assertTrue(ruleset.contains("ip saddr " + lease.subnet() + " ip daddr 10.5.0.0/16 return"), ruleset);
    assertTrue(ruleset.contains("ip6 saddr fd00:5::/56 accept"), ruleset);

    run(IPTABLES_CONFIG);
    assertFalse(nftRuleset().contains("flannel-ipv"), nftRuleset());
    assertEquals(iptables, Firewall.iptablesFlannelLines(ns));
  }

  private String nftRuleset() throws Exception {
    return Firewall.in(ns, "nft", "list", "ruleset");
  }
}
