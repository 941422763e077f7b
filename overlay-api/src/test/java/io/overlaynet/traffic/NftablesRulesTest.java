package io.overlaynet.traffic;

import static io.overlaynet.traffic.IptablesRulesTest.LEASE;
import static io.overlaynet.traffic.IptablesRulesTest.LEASE6;
import static io.overlaynet.traffic.IptablesRulesTest.NETWORK;
import static io.overlaynet.traffic.IptablesRulesTest.NETWORK6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.overlaynet.traffic.NftablesRules.Chain;
import io.overlaynet.traffic.NftablesRules.Family;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rendered nft scripts against the commands flanneld v0.28.9 sends to {@code nft -f}: the
 * statements of {@code pkg/trafficmngr/nftables/nftables.go} as knftables v0.0.18 writes them
 * ({@code objects.go writeOperation}: chain priorities as numbers, comments quoted).
 */
class NftablesRulesTest {

  static final String MASQ_V4_SCRIPT = String.join("\n",
      "add table ip flannel-ipv4 { comment \"rules for flannel-ipv4\" ; }",
      "add chain ip flannel-ipv4 postrtg { type nat hook postrouting priority 100 ; "
          + "comment \"chain to manage traffic masquerading by flannel\" ; }",
      "flush chain ip flannel-ipv4 postrtg",
      "add rule ip flannel-ipv4 postrtg meta mark 0x4000 return",
      "add rule ip flannel-ipv4 postrtg ip saddr 10.5.96.0/24 ip daddr 10.5.0.0/16 return",
      "add rule ip flannel-ipv4 postrtg ip saddr 10.5.0.0/16 ip daddr 10.5.96.0/24 return",
      "add rule ip flannel-ipv4 postrtg ip saddr != 10.5.96.0/24 ip daddr 10.5.0.0/16 return",
      "add rule ip flannel-ipv4 postrtg ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random",
      "add rule ip flannel-ipv4 postrtg ip saddr != 10.5.0.0/16 ip daddr 10.5.0.0/16 masquerade fully-random") + "\n";

  static final String FORWARD_V6_SCRIPT = String.join("\n",
      "add table ip6 flannel-ipv6 { comment \"rules for flannel-ipv6\" ; }",
      "add chain ip6 flannel-ipv6 forward { type filter hook forward priority 0 ; "
          + "comment \"chain to accept flannel traffic\" ; }",
      "flush chain ip6 flannel-ipv6 forward",
      "add rule ip6 flannel-ipv6 forward ip6 saddr fd00:10:5::/56 accept",
      "add rule ip6 flannel-ipv6 forward ip6 daddr fd00:10:5::/56 accept") + "\n";

  @Test
  void masqueradeChainIsFlannels() {
    assertEquals(MASQ_V4_SCRIPT, NftablesRules.setupScript(NftablesRules.masqChain(NETWORK, LEASE, true)));
    assertEquals(MASQ_V4_SCRIPT.replace(" fully-random", ""),
        NftablesRules.setupScript(NftablesRules.masqChain(NETWORK, LEASE, false)));
  }

  @Test
  void ipv6MasqueradeUsesIp6AndItsMulticast() {
    Chain c = NftablesRules.masqChain6(NETWORK6, LEASE6, true);
    assertEquals(Family.IPV6, c.family());
    assertEquals(List.of(
        "meta mark 0x4000 return",
        "ip6 saddr fd00:10:5:60::/64 ip6 daddr fd00:10:5::/56 return",
        "ip6 saddr fd00:10:5::/56 ip6 daddr fd00:10:5:60::/64 return",
        "ip6 saddr != fd00:10:5:60::/64 ip6 daddr fd00:10:5::/56 return",
        "ip6 saddr fd00:10:5::/56 ip6 daddr != ff00::/8 masquerade fully-random",
        "ip6 saddr != fd00:10:5::/56 ip6 daddr fd00:10:5::/56 masquerade fully-random"), c.rules());
  }

  @Test
  void forwardChainFollowsTheNetworksFamily() {
    assertEquals(FORWARD_V6_SCRIPT, NftablesRules.setupScript(NftablesRules.forwardChain(NETWORK6)));
    assertEquals(List.of("ip saddr 10.5.0.0/16 accept", "ip daddr 10.5.0.0/16 accept"),
        NftablesRules.forwardChain(NETWORK).rules());
  }

  @Test
  void initCreatesBothTables() {
    assertEquals("add table ip flannel-ipv4 { comment \"rules for flannel-ipv4\" ; }\n"
        + "add table ip6 flannel-ipv6 { comment \"rules for flannel-ipv6\" ; }\n", NftablesRules.initScript());
  }

  @Test
  void rebuildReplacesTheWholeTableInOneScript() {
    String script = NftablesRules.rebuildScript(Family.IPV4,
        List.of(NftablesRules.masqChain(NETWORK, LEASE, true), NftablesRules.forwardChain(NETWORK)));
    List<String> lines = script.lines().toList();
    assertEquals(List.of("add table ip flannel-ipv4", "delete table ip flannel-ipv4",
        "add table ip flannel-ipv4 { comment \"rules for flannel-ipv4\" ; }"), lines.subList(0, 3));
    assertEquals(3 + 1 + 6 + 1 + 2, lines.size(), script);
    assertEquals("add rule ip flannel-ipv4 forward ip daddr 10.5.0.0/16 accept", lines.get(lines.size() - 1));
    assertThrows(IllegalArgumentException.class,
        () -> NftablesRules.rebuildScript(Family.IPV6, List.of(NftablesRules.forwardChain(NETWORK))));
  }

  @Test
  void fullyRandomProbeIsFlannels() {
    assertEquals(String.join("\n",
        "add table ip flannel-ipv4 { comment \"rules for flannel-ipv4\" ; }",
        "add chain ip flannel-ipv4 masqueradeTest { type nat hook postrouting priority 100 ; "
            + "comment \"chain to test if masquerade random fully is supported\" ; }",
        "flush chain ip flannel-ipv4 masqueradeTest",
        "add rule ip flannel-ipv4 masqueradeTest ip saddr != 127.0.0.1 masquerade fully-random") + "\n",
        NftablesRules.fullyRandomProbeScript());
  }
}
