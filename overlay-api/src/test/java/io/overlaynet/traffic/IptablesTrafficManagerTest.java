package io.overlaynet.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.testing.Await;
import io.overlaynet.testing.TestThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manager against fake iptables binaries (shell scripts under a temp dir): no root, no
 * firewall touched. The fakes log every call, answer {@code --version}, report every chain and
 * rule as absent, and record what {@code *-restore} was fed.
 */
class IptablesTrafficManagerTest {

  @TempDir
  Path dir;

  @BeforeEach
  void fakes() throws IOException {
    version("1.8.9");
    for (String name : List.of("iptables", "ip6tables")) {
      script(name, ""
          + "echo \"$(basename \"$0\") $*\" >> '" + dir + "/calls.log'\n"
          + "case \"$*\" in *--version*) echo \"$(basename \"$0\") v$(cat '" + dir + "/version') (nf_tables)\"; exit 0;; esac\n"
          + "exit 1\n");
      script(name + "-restore", ""
          + "echo \"$(basename \"$0\") $*\" >> '" + dir + "/calls.log'\n"
          + "cat >> '" + dir + "/" + name + "-restore.in'\n");
    }
  }

  private void version(String v) throws IOException {
    Files.writeString(dir.resolve("version"), v);
  }

  private Path script(String name, String body) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private TrafficOptions options() {
    return TrafficOptions.DEFAULT.withIptablesDirectory(dir).withResyncPeriod(Duration.ofHours(1));
  }

  private String restored(String family) throws IOException {
    Path p = dir.resolve(family + "-restore.in");
    return Files.exists(p) ? Files.readString(p) : "";
  }

  private List<String> calls() throws IOException {
    return Files.readAllLines(dir.resolve("calls.log"));
  }

  @Test
  void masqRulesAreRestoredWithNoflushWaitAndRandomFully() throws Exception {
    try (TrafficManager tm = TrafficManager.iptables(options())) {
      tm.setupMasqRules(MasqSpec.ipv4(IptablesRulesTest.NETWORK, IptablesRulesTest.LEASE));
    }
    assertEquals("*nat\n:FLANNEL-POSTRTG - [0:0]\n" + String.join("\n", IptablesRulesTest.MASQ_V4) + "\nCOMMIT\n",
        restored("iptables"));
    assertEquals("", restored("ip6tables"));
    List<String> calls = calls();
    assertEquals("iptables --version", calls.get(0), "probed first");
    assertEquals(1, calls.stream().filter(c -> c.endsWith("--version")).count(), "probed once");
    assertTrue(calls.contains("iptables-restore --noflush --wait"), calls.toString());
    assertTrue(calls.contains("iptables --wait -t nat -S FLANNEL-POSTRTG"), calls.toString());
  }

  @Test
  void oldIptablesGetsNeitherWaitNorRandomFully() throws Exception {
    version("1.6.1");
    try (TrafficManager tm = TrafficManager.iptables(options())) {
      tm.setupMasqRules(MasqSpec.ipv4(IptablesRulesTest.NETWORK, IptablesRulesTest.LEASE));
    }
    assertEquals("*nat\n:FLANNEL-POSTRTG - [0:0]\n"
        + String.join("\n", IptablesRulesTest.withoutRandomFully(IptablesRulesTest.MASQ_V4)) + "\nCOMMIT\n",
        restored("iptables"));
    assertTrue(calls().contains("iptables-restore --noflush"), calls().toString());
    assertTrue(calls().stream().noneMatch(c -> c.contains("--wait")), calls().toString());
  }

  @Test
  void randomFullyCanBeDisabled() throws Exception {
    try (TrafficManager tm = TrafficManager.iptables(options().withRandomFully(false))) {
      tm.setupMasqRules(MasqSpec.ipv4(IptablesRulesTest.NETWORK, IptablesRulesTest.LEASE));
    }
    assertFalse(restored("iptables").contains("--random-fully"));
  }

  @Test
  void ipv6RulesGoThroughIp6tables() throws Exception {
    try (TrafficManager tm = TrafficManager.iptables(options())) {
      tm.setupMasqRules(MasqSpec.ipv4(IptablesRulesTest.NETWORK, IptablesRulesTest.LEASE)
          .withIpv6(IptablesRulesTest.NETWORK6, IptablesRulesTest.LEASE6, Optional.empty(), Optional.empty()));
      tm.setupForwardRules(ForwardSpec.of(IptablesRulesTest.NETWORK, IptablesRulesTest.NETWORK6));
    }
    assertEquals("*nat\n:FLANNEL-POSTRTG - [0:0]\n" + String.join("\n", IptablesRulesTest.MASQ_V6) + "\nCOMMIT\n"
        + "*filter\n:FLANNEL-FWD - [0:0]\n" + String.join("\n", IptablesRulesTest.FORWARD_V6) + "\nCOMMIT\n",
        restored("ip6tables"));
    assertTrue(restored("iptables").endsWith(
        "*filter\n:FLANNEL-FWD - [0:0]\n" + String.join("\n", IptablesRulesTest.FORWARD_V4) + "\nCOMMIT\n"));
  }

  @Test
  void removeRulesWithoutChainsRestoresNothing() throws Exception {
    try (TrafficManager tm = TrafficManager.iptables(options())) {
      tm.removeRules();  // the fakes report every chain absent
    }
    assertEquals("", restored("iptables"));
    assertEquals("", restored("ip6tables"));
    assertTrue(calls().contains("iptables --wait -t filter -S FLANNEL-FWD"), calls().toString());
  }

  @Test
  void withoutIptablesThereIsNothingToRemove(@TempDir Path empty) {
    // nftables mode on a host without iptables: flanneld exits here, the agent goes on.
    try (TrafficManager tm = TrafficManager.iptables(options().withIptablesDirectory(empty))) {
      tm.removeRules();
    }
  }

  @Test
  void everyCommandRunsBehindTheCommandPrefix() throws Exception {
    Path wrap = script("wrap", "echo \"wrapped $(basename \"$1\")\" >> '" + dir + "/wrap.log'\nexec \"$@\"\n");
    try (TrafficManager tm = TrafficManager.iptables(options().withCommandPrefix(List.of(wrap.toString())))) {
      tm.setupMasqRules(MasqSpec.ipv4(IptablesRulesTest.NETWORK, IptablesRulesTest.LEASE));
      tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK));
    }
    List<String> wrapped = Files.readAllLines(dir.resolve("wrap.log"));
    List<String> calls = calls();
    assertEquals(calls.size(), wrapped.size());
    for (int i = 0; i < calls.size(); i++) {
      assertEquals("wrapped " + calls.get(i).split(" ")[0], wrapped.get(i));
    }
  }

  @Test
  void failureReportsExitCodeAndStderr() throws Exception {
    script("iptables-restore", "cat > /dev/null\necho 'iptables-restore: line 3 failed' >&2\nexit 1\n");
    try (TrafficManager tm = TrafficManager.iptables(options())) {
      TrafficException e = assertThrows(TrafficException.class,
          () -> tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK)));
      assertTrue(e.getMessage().contains("iptables-restore --noflush --wait` failed with exit code 1"), e.getMessage());
      assertTrue(e.getMessage().contains("iptables-restore: line 3 failed"), e.getMessage());
      assertEquals(1, e.exitCode().getAsInt());
      assertEquals("iptables-restore: line 3 failed", e.stderr());
      assertFalse(e.timedOut());
    }
  }

  @Test
  void missingBinaryIsReported() {
    try (TrafficManager tm = TrafficManager.iptables(options().withIptablesDirectory(dir.resolve("nowhere")))) {
      TrafficException e = assertThrows(TrafficException.class,
          () -> tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK)));
      assertTrue(e.getMessage().contains("cannot run"), e.getMessage());
    }
  }

  @Test
  void hungCommandIsKilledAndReported() throws Exception {
    script("iptables", "echo $$ > '" + dir + "/hung.pid'\necho 'waiting for the xtables lock' >&2\nexec sleep 60\n");
    assertKilledWithin(dir.resolve("hung.pid"));
  }

  @Test
  void hungChildOfACommandIsKilledToo() throws Exception {
    // Not exec'd: the sleeping child would keep the pipes open if only the shell were killed.
    script("iptables", "sleep 60 &\necho $! > '" + dir + "/hung.pid'\nwait\n");
    assertKilledWithin(dir.resolve("hung.pid"));
  }

  private void assertKilledWithin(Path pidFile) throws Exception {
    // 2 s: time for a loaded machine to fork the fake and let it write its pid, which the test needs.
    try (TrafficManager tm = TrafficManager.iptables(options().withCommandTimeout(Duration.ofMillis(2000)))) {
      long start = System.nanoTime();
      TrafficException e = assertThrows(TrafficException.class,
          () -> tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK)));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(e.timedOut(), e.getMessage());
      assertTrue(e.getMessage().contains("did not finish within 2000 ms; killed it"), e.getMessage());
      assertTrue(e.exitCode().isEmpty());
      // The fake sleeps 60 s: ending within a bound far below that shows the timeout killed it.
      assertTrue(millis < 15_000, "took " + millis + " ms");
      assertTrue(e.getMessage().startsWith("`" + dir.resolve("iptables") + " --version`"), e.getMessage());
      assertTrue(Files.exists(pidFile), "the fake never started within the timeout");
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      Await.until("process " + pid + " killed", Duration.ofSeconds(10),
          () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }
  }

  @Test
  void resyncReappliesMissingRulesAndStopsOnClose() throws Exception {
    // The fake reports every rule as missing, so each resync re-applies the set.
    TestThreads before = TestThreads.named("overlaynet-iptables-");
    TrafficManager tm = TrafficManager.iptables(options().withResyncPeriod(Duration.ofMillis(50)));
    tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK));
    Await.until("three resyncs", Duration.ofSeconds(20), () -> restoreCount() >= 3);
    Set<Thread> threads = before.started();
    assertTrue(threads.stream().anyMatch(t -> t.getName().equals("overlaynet-iptables-resync")), threads.toString());

    // Each resync forks commands, so close() may have to kill one it is waiting for: bounded by
    // the manager's own 2 s wait for its thread, and far below the 10 s command timeout.
    long start = System.nanoTime();
    tm.close();
    long closeMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(closeMs < 5000, "close took " + closeMs + " ms");
    TestThreads.assertEnd(threads, Duration.ofSeconds(10));
    // The resync and pipe threads are gone (close() shut both pools down): no resync may start later either.
    long after = restoreCount();
    Thread.sleep(300);
    assertEquals(after, restoreCount(), "resync ran after close()");
    tm.close();  // idempotent
    assertThrows(IllegalStateException.class, () -> tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK)));
  }

  private long restoreCount() throws IOException {
    return calls().stream().filter(c -> c.startsWith("iptables-restore")).count();
  }
}
