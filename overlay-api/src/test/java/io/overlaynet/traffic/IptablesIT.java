package io.overlaynet.traffic;

import static io.overlaynet.traffic.IptablesRulesTest.FORWARD_V4;
import static io.overlaynet.traffic.IptablesRulesTest.FORWARD_V6;
import static io.overlaynet.traffic.IptablesRulesTest.LEASE;
import static io.overlaynet.traffic.IptablesRulesTest.LEASE6;
import static io.overlaynet.traffic.IptablesRulesTest.MASQ_V4;
import static io.overlaynet.traffic.IptablesRulesTest.MASQ_V6;
import static io.overlaynet.traffic.IptablesRulesTest.NETWORK;
import static io.overlaynet.traffic.IptablesRulesTest.NETWORK6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.testing.TestThreads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The iptables manager against the real iptables (nf_tables) of a fresh, named network namespace.
 *
 * <p>Every command, the manager's and the test's, runs behind {@code ip netns exec <ns>}
 * ({@link TrafficOptions#withCommandPrefix}), so the host's firewall is never written; each test
 * also checks that the host's flanneld-commented rules are the same before and after.
 */
@Tag("privileged")
class IptablesIT {

  private static final Duration FAST = Duration.ofMillis(200);

  private String ns;
  private List<String> prefix;
  private List<String> hostBefore;
  private final List<TrafficManager> managers = new ArrayList<>();

  @BeforeEach
  void freshNamespace() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(Files.isExecutable(Path.of("/usr/sbin/iptables-restore")), "iptables-restore",
        "apt-get install iptables");
    Prerequisites.require(Files.isExecutable(Path.of("/usr/sbin/ip6tables-restore")), "ip6tables-restore",
        "apt-get install iptables");
    Prerequisites.require(Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
        .anyMatch(p -> Files.isExecutable(Path.of(p))), "the ip command", "apt-get install iproute2");
    hostBefore = hostFlannelLines();
    ns = "ovn-trf-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    run(List.of("ip", "netns", "add", ns));
    prefix = List.of("ip", "netns", "exec", ns);
  }

  @AfterEach
  void removeNamespace() throws Exception {
    managers.forEach(TrafficManager::close);
    if (ns != null) {
      run(List.of("ip", "netns", "del", ns));
      assertEquals(hostBefore, hostFlannelLines(), "the host's flanneld rules changed");
    }
  }

  private TrafficManager manager(TrafficOptions options) {
    TrafficManager tm = TrafficManager.iptables(options.withCommandPrefix(prefix));
    managers.add(tm);
    return tm;
  }

  @Test
  void masqAndForwardRulesMatchFlannelsLines() throws Exception {
    TrafficManager tm = manager(TrafficOptions.DEFAULT);
    MasqSpec masq = MasqSpec.ipv4(NETWORK, LEASE).withIpv6(NETWORK6, LEASE6, Optional.empty(), Optional.empty());
    ForwardSpec forward = ForwardSpec.of(NETWORK, NETWORK6);
    tm.setupMasqRules(masq);
    tm.setupForwardRules(forward);

    // iptables 1.8.9 supports --random-fully, so the probe must have chosen it.
    assertEquals(MASQ_V4, rules("iptables", "nat"));
    assertEquals(FORWARD_V4, rules("iptables", "filter"));
    assertEquals(MASQ_V6, rules("ip6tables", "nat"));
    assertEquals(FORWARD_V6, rules("ip6tables", "filter"));
    assertTrue(save("iptables", "nat").contains(":FLANNEL-POSTRTG - [0:0]"));
    assertTrue(save("iptables", "filter").contains(":FLANNEL-FWD - [0:0]"));

    // Setting up again (a restart) leaves exactly one copy of each rule.
    tm.setupMasqRules(masq);
    tm.setupForwardRules(forward);
    assertEquals(MASQ_V4, rules("iptables", "nat"));
    assertEquals(FORWARD_V6, rules("ip6tables", "filter"));
  }

  @Test
  void withoutRandomFully() throws Exception {
    manager(TrafficOptions.DEFAULT.withRandomFully(false)).setupMasqRules(MasqSpec.ipv4(NETWORK, LEASE));
    assertEquals(IptablesRulesTest.withoutRandomFully(MASQ_V4), rules("iptables", "nat"));
  }

  @Test
  void jumpIsAppendedAfterRulesOthersPutFirst() throws Exception {
    ns("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.0/24", "-j", "ACCEPT");
    manager(TrafficOptions.DEFAULT).setupMasqRules(MasqSpec.ipv4(NETWORK, LEASE));
    List<String> expected = new ArrayList<>(List.of("-A POSTROUTING -s 192.0.2.0/24 -j ACCEPT"));
    expected.addAll(MASQ_V4);
    assertEquals(expected, rules("iptables", "nat"));
  }

  @Test
  void resyncRestoresRulesDeletedByHand() throws Exception {
    TrafficManager tm = manager(TrafficOptions.DEFAULT.withResyncPeriod(FAST));
    tm.setupMasqRules(MasqSpec.ipv4(NETWORK, LEASE).withIpv6(NETWORK6, LEASE6, Optional.empty(), Optional.empty()));
    tm.setupForwardRules(ForwardSpec.ipv4(NETWORK));

    // One rule from the middle of the chain: it must come back in its place.
    ns("iptables", "-t", "nat", "-D", "FLANNEL-POSTRTG", "-m", "mark", "--mark", "0x4000/0x4000",
        "-m", "comment", "--comment", "flanneld masq", "-j", "RETURN");
    assertFalse(rules("iptables", "nat").equals(MASQ_V4));
    awaitEquals(MASQ_V4, () -> rules("iptables", "nat"));

    // The jump in a built-in chain.
    ns("iptables", "-D", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
    awaitEquals(FORWARD_V4, () -> rules("iptables", "filter"));

    // A flushed chain (what the B1 observation did by hand), IPv6.
    ns("ip6tables", "-t", "nat", "-F", "FLANNEL-POSTRTG");
    awaitEquals(MASQ_V6, () -> rules("ip6tables", "nat"));

    // The whole chain gone, jump included.
    ns("iptables", "-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment", "flanneld masq",
        "-j", "FLANNEL-POSTRTG");
    ns("iptables", "-t", "nat", "-F", "FLANNEL-POSTRTG");
    ns("iptables", "-t", "nat", "-X", "FLANNEL-POSTRTG");
    assertEquals(List.of(), rules("iptables", "nat"));
    awaitEquals(MASQ_V4, () -> rules("iptables", "nat"));
  }

  @Test
  void recycleRemovesRulesBuiltFromThePreviousNetworkAndLease() throws Exception {
    // The previous run, with --random-fully off, so recycling must find both renderings.
    TrafficManager previous = manager(TrafficOptions.DEFAULT.withRandomFully(false));
    previous.setupMasqRules(MasqSpec.ipv4(NETWORK, LEASE).withIpv6(NETWORK6, LEASE6, Optional.empty(),
        Optional.empty()));
    previous.close();
    ns("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.0/24", "-j", "ACCEPT");
    String foreign = "-A POSTROUTING -s 192.0.2.0/24 -j ACCEPT";

    Ip4Net network = Ip4Net.parse("10.6.0.0/16");
    Ip4Net lease = Ip4Net.parse("10.6.7.0/24");
    Ip6Net network6 = Ip6Net.parse("fd00:10:6::/56");
    Ip6Net lease6 = Ip6Net.parse("fd00:10:6:7::/64");
    MasqSpec spec = MasqSpec.ipv4(network, lease, Optional.of(NETWORK), Optional.of(LEASE))
        .withIpv6(network6, lease6, Optional.of(NETWORK6), Optional.of(LEASE6));

    IptablesTrafficManager tm = (IptablesTrafficManager) manager(TrafficOptions.DEFAULT);
    // Same values as before: nothing is recycled.
    tm.recycleMasqRules(MasqSpec.ipv4(NETWORK, LEASE, Optional.of(NETWORK), Optional.of(LEASE)));
    assertEquals(1 + MASQ_V4.size(), rules("iptables", "nat").size());

    // The recycle step alone: every rule of the previous run goes, the foreign rule stays.
    tm.recycleMasqRules(spec);
    assertEquals(List.of(foreign), rules("iptables", "nat"));
    assertEquals(List.of(), rules("ip6tables", "nat"));

    tm.setupMasqRules(spec);
    List<String> expected = new ArrayList<>(List.of(foreign));
    expected.addAll(IptablesRulesTest.lines(IptablesRules.masqRules(network, lease, true)));
    assertEquals(expected, rules("iptables", "nat"));
    assertEquals(IptablesRulesTest.lines(IptablesRules.masqRules6(network6, lease6, true)), rules("ip6tables", "nat"));
  }

  @Test
  void closeStopsTheResyncPromptlyAndLeavesTheRules() throws Exception {
    TestThreads before = TestThreads.named("overlaynet-iptables-");
    TrafficManager tm = manager(TrafficOptions.DEFAULT.withResyncPeriod(FAST));
    tm.setupForwardRules(ForwardSpec.ipv4(NETWORK));
    Set<Thread> threads = before.started();
    // A resync may be forking `ip netns exec ... iptables-save` right now, which close() kills:
    // bounded by the manager's own 2 s wait for its thread, far below the 10 s command timeout.
    long start = System.nanoTime();
    tm.close();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 5000, "close() took " + millis + " ms");
    TestThreads.assertEnd(threads, Duration.ofSeconds(10));
    assertEquals(FORWARD_V4, rules("iptables", "filter"), "close() must leave the rules");

    ns("iptables", "-D", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
    Thread.sleep(5 * FAST.toMillis());
    assertEquals(FORWARD_V4.subList(1, 3), rules("iptables", "filter"), "a closed manager restored a rule");
  }

  // --- helpers ---

  /** The -A lines of {@code table} in the namespace, as iptables-save prints them. */
  private List<String> rules(String iptables, String table) {
    return save(iptables, table).lines().filter(l -> l.startsWith("-A ")).toList();
  }

  private String save(String iptables, String table) {
    try {
      return ns(iptables + "-save", "-t", table);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String ns(String... command) throws Exception {
    List<String> full = new ArrayList<>(prefix);
    full.addAll(List.of(command));
    return run(full);
  }

  private static List<String> hostFlannelLines() throws Exception {
    List<String> lines = new ArrayList<>();
    for (String save : List.of("iptables-save", "ip6tables-save")) {
      run(List.of(save)).lines().filter(l -> l.contains("flanneld") || l.contains("FLANNEL-")).forEach(lines::add);
    }
    return lines;
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError(command + " failed (" + p.exitValue() + "): " + text);
    }
    return text;
  }

  private static <T> void awaitEquals(T expected, Supplier<T> actual) throws Exception {
    // Many resync periods: each round forks several iptables commands, slow on a loaded machine.
    try {
      Await.until("resync restores the rules", Duration.ofSeconds(20), () -> expected.equals(actual.get()));
    } catch (AssertionError timedOut) {
      assertEquals(expected, actual.get()); // fails with the difference
      throw timedOut;
    }
  }
}
