package io.overlaynet.traffic;

import static io.overlaynet.testing.Firewall.in;
import static io.overlaynet.traffic.IptablesRulesTest.LEASE;
import static io.overlaynet.traffic.IptablesRulesTest.LEASE6;
import static io.overlaynet.traffic.IptablesRulesTest.NETWORK;
import static io.overlaynet.traffic.IptablesRulesTest.NETWORK6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.Firewall;
import io.overlaynet.testing.TestThreads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The nftables manager against the real {@code nft} of fresh, named network namespaces: the
 * ruleset read back against goldens taken from flannel v0.28.9, the resync, the switch between
 * modes, and traffic: a container's datagrams to an address outside the Network are masqueraded,
 * those to an address inside it are not.
 *
 * <p>The goldens ({@code src/test/resources/nftables/flannel-v0.28.9-dual-stack.*}) are what nft
 * 1.0.6 lists after running, in a scratch namespace, the transactions flanneld v0.28.9 writes
 * ({@code pkg/trafficmngr/nftables/nftables.go} through knftables v0.0.18's
 * {@code writeOperation}: Init, then masq, then forward, for both families) for Network
 * 10.5.0.0/16, lease 10.5.96.0/24, IPv6Network fd00:10:5::/56, lease fd00:10:5:60::/64; the
 * per-chain text is flannel's {@code e2e/rules.go} ({@code expectedNftPostrouting} and co.)
 * verbatim.
 */
@Tag("privileged")
class NftablesIT {

  private static final Duration FAST = Duration.ofMillis(200);

  private final List<String> namespaces = new ArrayList<>();
  private final List<TrafficManager> managers = new ArrayList<>();
  private String ns;

  @BeforeEach
  void freshNamespace() throws Exception {
    Firewall.requireTools();
    ns = namespace("ovn-nft");
  }

  @AfterEach
  void removeNamespaces() throws Exception {
    managers.forEach(TrafficManager::close);
    for (String n : namespaces) {
      Firewall.deleteNamespace(n);
    }
  }

  private String namespace(String prefix) throws Exception {
    String n = Firewall.addNamespace(prefix);
    namespaces.add(n);
    return n;
  }

  private TrafficManager nftables(TrafficOptions options) {
    return nftables(options, TrafficListener.NONE);
  }

  private TrafficManager nftables(TrafficOptions options, TrafficListener listener) {
    TrafficManager tm = TrafficManager.nftables(options.withCommandPrefix(Firewall.prefix(ns)), listener);
    managers.add(tm);
    return tm;
  }

  private TrafficManager iptables() {
    TrafficManager tm = TrafficManager.iptables(TrafficOptions.DEFAULT.withCommandPrefix(Firewall.prefix(ns)));
    managers.add(tm);
    return tm;
  }

  private static final MasqSpec DUAL_MASQ =
      MasqSpec.ipv4(NETWORK, LEASE).withIpv6(NETWORK6, LEASE6, Optional.empty(), Optional.empty());
  private static final ForwardSpec DUAL_FORWARD = ForwardSpec.of(NETWORK, NETWORK6);

  /** flanneld's order: masq, then forward. */
  private static void setUpDualStack(TrafficManager tm) {
    tm.setupMasqRules(DUAL_MASQ);
    tm.setupForwardRules(DUAL_FORWARD);
  }

  @Test
  void rulesetMatchesFlannelsGolden() throws Exception {
    TrafficManager tm = nftables(TrafficOptions.DEFAULT);
    setUpDualStack(tm);

    assertEquals(golden("flannel-v0.28.9-dual-stack.json"), Firewall.ruleset(ns));
    // nft 1.0.6 leaves comments out of its JSON: the text listing has them.
    assertEquals(resource("flannel-v0.28.9-dual-stack.nft"), in(ns, "nft", "list", "ruleset"));
    // flannel's e2e checks, verbatim (e2e/rules.go).
    assertEquals(e2ePostrouting("ip", "flannel-ipv4", "10.5.96.0/24", "10.5.0.0/16", "224.0.0.0/4"),
        in(ns, "nft", "list", "chain", "ip", "flannel-ipv4", "postrtg").stripTrailing());
    assertEquals(e2eForward("ip", "flannel-ipv4", "10.5.0.0/16"),
        in(ns, "nft", "list", "chain", "ip", "flannel-ipv4", "forward").stripTrailing());
    assertEquals(e2ePostrouting("ip6", "flannel-ipv6", "fd00:10:5:60::/64", "fd00:10:5::/56", "ff00::/8"),
        in(ns, "nft", "list", "chain", "ip6", "flannel-ipv6", "postrtg").stripTrailing());
    assertEquals(e2eForward("ip6", "flannel-ipv6", "fd00:10:5::/56"),
        in(ns, "nft", "list", "chain", "ip6", "flannel-ipv6", "forward").stripTrailing());

    // A restart (a new manager, the same values) leaves exactly one copy of everything.
    setUpDualStack(nftables(TrafficOptions.DEFAULT));
    assertEquals(golden("flannel-v0.28.9-dual-stack.json"), Firewall.ruleset(ns));
  }

  @Test
  void ipv6OnlyHasAnEmptyIpv4TableAsFlannel() throws Exception {
    TrafficManager tm = nftables(TrafficOptions.DEFAULT);
    tm.setupMasqRules(new MasqSpec(Ip4Net.EMPTY, Ip4Net.EMPTY, Optional.empty(), Optional.empty(),
        Optional.of(NETWORK6), Optional.of(LEASE6), Optional.empty(), Optional.empty()));
    tm.setupForwardRules(new ForwardSpec(Optional.empty(), Optional.of(NETWORK6)));

    // flannel's Init creates both tables: the IPv4 one stays empty.
    JsonArray expected = new JsonArray();
    for (JsonElement item : golden("flannel-v0.28.9-dual-stack.json")) {
      String json = item.toString();
      if (!json.contains("\"family\":\"ip\"") || item.getAsJsonObject().has("table")) {
        expected.add(item);
      }
    }
    assertEquals(expected, Firewall.ruleset(ns));
  }

  @Test
  void withoutFullyRandom() throws Exception {
    nftables(TrafficOptions.DEFAULT.withRandomFully(false)).setupMasqRules(MasqSpec.ipv4(NETWORK, LEASE));
    String chain = in(ns, "nft", "list", "chain", "ip", "flannel-ipv4", "postrtg").stripTrailing();
    assertEquals(e2ePostrouting("ip", "flannel-ipv4", "10.5.96.0/24", "10.5.0.0/16", "224.0.0.0/4")
        .replace(" fully-random", ""), chain);
  }

  @Test
  void recycleLeavesOnlyTheRulesOfTheCurrentNetworkAndLease() throws Exception {
    setUpDualStack(nftables(TrafficOptions.DEFAULT));
    Ip4Net network = Ip4Net.parse("10.6.0.0/16");
    Ip4Net lease = Ip4Net.parse("10.6.7.0/24");
    Ip6Net network6 = Ip6Net.parse("fd00:10:6::/56");
    Ip6Net lease6 = Ip6Net.parse("fd00:10:6:7::/64");

    TrafficManager next = nftables(TrafficOptions.DEFAULT);
    next.setupMasqRules(MasqSpec.ipv4(network, lease, Optional.of(NETWORK), Optional.of(LEASE))
        .withIpv6(network6, lease6, Optional.of(NETWORK6), Optional.of(LEASE6)));

    assertEquals(e2ePostrouting("ip", "flannel-ipv4", "10.6.7.0/24", "10.6.0.0/16", "224.0.0.0/4"),
        in(ns, "nft", "list", "chain", "ip", "flannel-ipv4", "postrtg").stripTrailing());
    assertEquals(e2ePostrouting("ip6", "flannel-ipv6", "fd00:10:6:7::/64", "fd00:10:6::/56", "ff00::/8"),
        in(ns, "nft", "list", "chain", "ip6", "flannel-ipv6", "postrtg").stripTrailing());
    String all = in(ns, "nft", "list", "ruleset");
    assertTrue(!all.contains("10.5.96.0/24") && !all.contains("fd00:10:5:60::/64"), all);
  }

  @Test
  void resyncReplacesATableThatDiffersOrIsMissing() throws Exception {
    List<String> restored = new CopyOnWriteArrayList<>();
    TrafficManager tm = nftables(TrafficOptions.DEFAULT.withResyncPeriod(FAST), new TrafficListener() {
      @Override
      public void onRestored(String name, int missing) {
        restored.add(name);
      }
    });
    setUpDualStack(tm);
    JsonArray golden = golden("flannel-v0.28.9-dual-stack.json");

    // A flushed chain.
    in(ns, "nft", "flush", "chain", "ip", "flannel-ipv4", "postrtg");
    assertNotEquals(Firewall.byTable(golden), Firewall.byTable(Firewall.ruleset(ns)));
    awaitRuleset(golden);
    // The listener hears of it just after the table is back.
    Await.until("the IPv4 restore is reported", Duration.ofSeconds(5),
        () -> restored.contains("IPv4 nftables table flannel-ipv4"));

    // A rule someone added to our chain, and a chain of theirs in our table.
    in(ns, "nft", "add", "rule", "ip", "flannel-ipv4", "forward", "ip", "saddr", "192.0.2.0/24", "drop");
    in(ns, "nft", "add", "chain", "ip", "flannel-ipv4", "extra");
    awaitRuleset(golden);

    // A changed rule in the middle of the IPv6 masquerade chain.
    String handle = handleOf("ip6", "flannel-ipv6", "postrtg", "ip6 saddr fd00:10:5::/56 ip6 daddr fd00:10:5:60::/64");
    in(ns, "nft", "replace", "rule", "ip6", "flannel-ipv6", "postrtg", "handle", handle,
        "ip6", "saddr", "fd00:10:5::/56", "ip6", "daddr", "fd00:10:5:61::/64", "return");
    awaitRuleset(golden);
    // Reported once the manager has read the new table back: only then is the next change news to it.
    Await.until("the IPv6 restore is reported", Duration.ofSeconds(5),
        () -> restored.contains("IPv6 nftables table flannel-ipv6"));

    // The whole IPv6 table gone.
    in(ns, "nft", "delete", "table", "ip6", "flannel-ipv6");
    awaitRuleset(golden);
    Await.until("the IPv6 restores are reported", Duration.ofSeconds(5),
        () -> restored.stream().filter("IPv6 nftables table flannel-ipv6"::equals).count() == 2);
  }

  @Test
  void firstResyncRemovesAChainAnEarlierRunLeft() throws Exception {
    // An earlier run with forward rules; this one has --iptables-forward-rules=false.
    setUpDualStack(nftables(TrafficOptions.DEFAULT));
    nftables(TrafficOptions.DEFAULT.withResyncPeriod(FAST)).setupMasqRules(DUAL_MASQ);
    JsonArray withoutForward = new JsonArray();
    for (JsonElement item : golden("flannel-v0.28.9-dual-stack.json")) {
      if (!item.toString().contains("forward")) {
        withoutForward.add(item);
      }
    }
    awaitRuleset(withoutForward);
  }

  @Test
  void switchingFromIptablesLeavesNoIptablesRule() throws Exception {
    TrafficManager ipt = iptables();
    ipt.setupMasqRules(DUAL_MASQ);
    ipt.setupForwardRules(DUAL_FORWARD);
    // A rule of someone else in the same built-in chains must stay.
    in(ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.0/24", "-j", "ACCEPT");
    assertEquals(IptablesRulesTest.MASQ_V4.size() + IptablesRulesTest.FORWARD_V4.size()
        + IptablesRulesTest.MASQ_V6.size() + IptablesRulesTest.FORWARD_V6.size() + 4,
        Firewall.iptablesFlannelLines(ns).size(), "rules and chain declarations of the iptables mode");
    ipt.close();

    // What the agent does at start-up in nftables mode.
    try (TrafficManager unused = TrafficManager.iptables(TrafficOptions.DEFAULT.withCommandPrefix(Firewall.prefix(ns)))) {
      unused.removeRules();
    }
    setUpDualStack(nftables(TrafficOptions.DEFAULT));

    assertEquals(List.of(), Firewall.iptablesFlannelLines(ns));
    assertTrue(in(ns, "iptables-save", "-t", "nat").contains("-A POSTROUTING -s 192.0.2.0/24 -j ACCEPT"));
    String ruleset = in(ns, "nft", "list", "ruleset");
    assertTrue(!ruleset.contains("FLANNEL") && !ruleset.contains("flanneld"), ruleset);
  }

  @Test
  void switchingToIptablesLeavesNoNftablesTable() throws Exception {
    setUpDualStack(nftables(TrafficOptions.DEFAULT));
    in(ns, "nft", "add", "table", "inet", "other");

    // What the agent does at start-up in iptables mode.
    try (TrafficManager unused = TrafficManager.nftables(TrafficOptions.DEFAULT.withCommandPrefix(Firewall.prefix(ns)))) {
      unused.removeRules();
      unused.removeRules();  // nothing left: no failure either
    }
    TrafficManager ipt = iptables();
    ipt.setupMasqRules(DUAL_MASQ);
    ipt.setupForwardRules(DUAL_FORWARD);

    String ruleset = in(ns, "nft", "list", "ruleset");
    assertTrue(!ruleset.contains("flannel-ipv4") && !ruleset.contains("flannel-ipv6"), ruleset);
    assertTrue(ruleset.contains("table inet other"), ruleset);
    assertEquals(IptablesRulesTest.MASQ_V4,
        in(ns, "iptables-save", "-t", "nat").lines().filter(l -> l.startsWith("-A ")).toList());
  }

  @Test
  void removedRulesAreNotRestoredByTheResync() throws Exception {
    TrafficManager tm = nftables(TrafficOptions.DEFAULT.withResyncPeriod(FAST));
    setUpDualStack(tm);
    tm.removeRules();
    Thread.sleep(5 * FAST.toMillis());
    assertEquals(new JsonArray(), Firewall.ruleset(ns));
  }

  @Test
  void containerTrafficLeavingTheNetworkIsMasqueradedAndTrafficWithinIsNot() throws Exception {
    Topology t = new Topology();
    // Without rules the far end sees the container's own address: the observation works.
    t.send("192.0.2.2");
    t.awaitCount(t.out, "from_pod4", 1);
    assertEquals(0, t.count(t.out, "from_host4"));

    TrafficManager tm = nftables(TrafficOptions.DEFAULT);
    setUpDualStack(tm);
    // Each datagram goes from a new socket (a new source port): a new flow, which the rules now NAT.
    t.clearCounters();

    t.send("192.0.2.2");
    t.send("2001:db8::2");
    t.send("10.5.7.2");
    t.send("fd00:10:5:7::2");
    t.awaitCount(t.out, "from_host4", 1);
    t.awaitCount(t.out, "from_host6", 1);
    t.awaitCount(t.peer, "from_pod4", 1);
    t.awaitCount(t.peer, "from_pod6", 1);
    assertEquals(0, t.count(t.out, "from_pod4"), "leaving the Network: masqueraded");
    assertEquals(0, t.count(t.out, "from_pod6"), "leaving the Network: masqueraded");
    assertEquals(0, t.count(t.peer, "from_host4"), "within the Network: not masqueraded");
    assertEquals(0, t.count(t.peer, "from_host6"), "within the Network: not masqueraded");
  }

  @Test
  void closeStopsTheResyncPromptlyAndLeavesTheRules() throws Exception {
    TestThreads before = TestThreads.named("overlaynet-nftables-");
    TrafficManager tm = nftables(TrafficOptions.DEFAULT.withResyncPeriod(FAST));
    setUpDualStack(tm);
    Set<Thread> threads = before.started();
    long start = System.nanoTime();
    tm.close();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 5000, "close() took " + millis + " ms");
    TestThreads.assertEnd(threads, Duration.ofSeconds(10));
    JsonArray golden = golden("flannel-v0.28.9-dual-stack.json");
    assertEquals(golden, Firewall.ruleset(ns), "close() must leave the rules");
    in(ns, "nft", "flush", "chain", "ip", "flannel-ipv4", "postrtg");
    Thread.sleep(5 * FAST.toMillis());
    assertNotEquals(golden, Firewall.ruleset(ns), "a closed manager restored a chain");
  }

  // --- the traffic topology ---

  /**
   * A container namespace ({@code 10.5.96.2}, {@code fd00:10:5:60::2}: inside the lease) behind the
   * namespace with the rules ({@code ns}, a router), an outside namespace ({@code 192.0.2.2},
   * {@code 2001:db8::2}: outside the Network) and a peer namespace ({@code 10.5.7.2},
   * {@code fd00:10:5:7::2}: another node's subnet, inside the Network). The outside and the peer
   * count, with nft counters in their prerouting hook, the test datagrams by source address: the
   * router's ({@code 192.0.2.1}/{@code 10.5.7.1}, i.e. masqueraded) or the container's.
   */
  private final class Topology {
    final String ctr;
    final String out;
    final String peer;

    Topology() throws Exception {
      ctr = namespace("ovn-ctr");
      out = namespace("ovn-out");
      peer = namespace("ovn-peer");
      link(ctr, "10.5.96.2/24", "fd00:10:5:60::2/64", "10.5.96.1/24", "fd00:10:5:60::1/64");
      link(out, "192.0.2.2/24", "2001:db8::2/64", "192.0.2.1/24", "2001:db8::1/64");
      link(peer, "10.5.7.2/24", "fd00:10:5:7::2/64", "10.5.7.1/24", "fd00:10:5:7::1/64");
      in(ctr, "ip", "route", "add", "default", "via", "10.5.96.1");
      in(ctr, "ip", "-6", "route", "add", "default", "via", "fd00:10:5:60::1");
      // The peer answers nothing, but a reply route keeps rp_filter and ICMP out of the picture.
      in(peer, "ip", "route", "add", "default", "via", "10.5.7.1");
      in(peer, "ip", "-6", "route", "add", "default", "via", "fd00:10:5:7::1");
      in(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      in(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
      counters(out, "192.0.2.1", "2001:db8::1");
      counters(peer, "10.5.7.1", "fd00:10:5:7::1");
    }

    private void link(String far, String v4, String v6, String hostV4, String hostV6) throws Exception {
      String name = "v" + far.substring(far.lastIndexOf('-') + 1);
      Firewall.run("ip", "link", "add", name, "netns", ns, "type", "veth", "peer", "name", "eth0", "netns", far);
      in(far, "ip", "addr", "add", v4, "dev", "eth0");
      in(far, "ip", "addr", "add", v6, "dev", "eth0", "nodad");
      in(far, "ip", "link", "set", "eth0", "up");
      in(far, "ip", "link", "set", "lo", "up");
      in(ns, "ip", "addr", "add", hostV4, "dev", name);
      in(ns, "ip", "addr", "add", hostV6, "dev", name, "nodad");
      in(ns, "ip", "link", "set", name, "up");
    }

    private void counters(String at, String host4, String host6) throws Exception {
      String script = "table inet obs {\n"
          + "  counter from_host4 {}\n  counter from_pod4 {}\n  counter from_host6 {}\n  counter from_pod6 {}\n"
          + "  chain pre {\n    type filter hook prerouting priority -300;\n"
          + "    ip saddr " + host4 + " udp dport 7777 counter name from_host4\n"
          + "    ip saddr 10.5.96.2 udp dport 7777 counter name from_pod4\n"
          + "    ip6 saddr " + host6 + " udp dport 7777 counter name from_host6\n"
          + "    ip6 saddr fd00:10:5:60::2 udp dport 7777 counter name from_pod6\n"
          + "  }\n}\n";
      Process p = new ProcessBuilder(List.of("ip", "netns", "exec", at, "nft", "-f", "-"))
          .redirectErrorStream(true).start();
      p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), "nft -f in " + at + ": " + output);
    }

    /** Sends three datagrams from the container to {@code to}:7777 with bash's /dev/udp. */
    void send(String to) throws Exception {
      in(ctr, "bash", "-c", "for i in 1 2 3; do echo x > /dev/udp/" + to + "/7777; sleep 0.05; done");
    }

    long count(String at, String counter) throws Exception {
      JsonArray items = JsonParser.parseString(in(at, "nft", "-j", "list", "counter", "inet", "obs", counter))
          .getAsJsonObject().getAsJsonArray("nftables");
      for (JsonElement item : items) {
        if (item.getAsJsonObject().has("counter")) {
          return item.getAsJsonObject().getAsJsonObject("counter").get("packets").getAsLong();
        }
      }
      throw new AssertionError("no counter " + counter + " in " + items);
    }

    void awaitCount(String at, String counter, long atLeast) throws Exception {
      Await.until(counter + " in " + at + " counts " + atLeast, Duration.ofSeconds(10),
          () -> count(at, counter) >= atLeast);
    }

    void clearCounters() throws Exception {
      for (String at : List.of(out, peer)) {
        in(at, "nft", "reset", "counters", "table", "inet", "obs");
      }
    }
  }

  // --- helpers ---

  private void awaitRuleset(JsonArray expected) throws Exception {
    // Many resync periods: each round forks nft, slow on a loaded machine.
    try {
      Await.until("resync restores the ruleset", Duration.ofSeconds(20),
          () -> Firewall.byTable(expected).equals(Firewall.byTable(Firewall.ruleset(ns))));
    } catch (AssertionError timedOut) {
      assertEquals(Firewall.byTable(expected), Firewall.byTable(Firewall.ruleset(ns))); // fails with the difference
      throw timedOut;
    }
  }

  /** The handle of the rule of {@code chain} whose text starts with {@code text} ({@code nft -a list chain}). */
  private String handleOf(String family, String table, String chain, String text) throws Exception {
    for (String line : in(ns, "nft", "-a", "list", "chain", family, table, chain).lines().toList()) {
      String l = line.strip();
      if (l.startsWith(text + " ") && l.contains("# handle ")) {
        return l.substring(l.lastIndexOf(' ') + 1);
      }
    }
    throw new AssertionError("no rule " + text + " in " + chain);
  }

  static JsonArray golden(String name) throws IOException {
    return JsonParser.parseString(resource(name)).getAsJsonArray();
  }

  static String resource(String name) throws IOException {
    try (InputStream in = NftablesIT.class.getResourceAsStream("/nftables/" + name)) {
      if (in == null) {
        throw new AssertionError("no test resource /nftables/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** flannel's {@code e2e/rules.go expectedNftPostrouting} / {@code expectedNft6Postrouting}. */
  static String e2ePostrouting(String family, String table, String podCidr, String net, String multicast) {
    return String.join("\n",
        "table " + family + " " + table + " {",
        "\tchain postrtg {",
        "\t\tcomment \"chain to manage traffic masquerading by flannel\"",
        "\t\ttype nat hook postrouting priority srcnat; policy accept;",
        "\t\tmeta mark 0x00004000 return",
        "\t\t" + family + " saddr " + podCidr + " " + family + " daddr " + net + " return",
        "\t\t" + family + " saddr " + net + " " + family + " daddr " + podCidr + " return",
        "\t\t" + family + " saddr != " + podCidr + " " + family + " daddr " + net + " return",
        "\t\t" + family + " saddr " + net + " " + family + " daddr != " + multicast + " masquerade fully-random",
        "\t\t" + family + " saddr != " + net + " " + family + " daddr " + net + " masquerade fully-random",
        "\t}",
        "}");
  }

  /** flannel's {@code e2e/rules.go expectedNftForward} / {@code expectedNft6Forward}. */
  static String e2eForward(String family, String table, String net) {
    return String.join("\n",
        "table " + family + " " + table + " {",
        "\tchain forward {",
        "\t\tcomment \"chain to accept flannel traffic\"",
        "\t\ttype filter hook forward priority filter; policy accept;",
        "\t\t" + family + " saddr " + net + " accept",
        "\t\t" + family + " daddr " + net + " accept",
        "\t}",
        "}");
  }
}
