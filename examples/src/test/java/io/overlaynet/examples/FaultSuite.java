package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.SubnetFile;
import io.overlaynet.etcd.testing.EtcdServer;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fault suite: three hosts in network namespaces, each running the example agent as a
 * process ({@code overlay-agent.jar}, as operators run it) against a real etcd on the underlay
 * (192.0.2.10), one container per host, and the faults of docs/RELIABILITY.md injected one by one
 * while containers ping each other. One subclass per backend.
 *
 * <p>Each scenario starts by restoring a healthy cluster itself ({@link #healthy()}): every
 * agent up, etcd up, nobody cut off, every container reaching every other. So a scenario fails
 * only for its own reason, never because an earlier one left the cluster broken. What each
 * scenario measured goes to {@code target/fault-suite/<backend>.md}, the figures of
 * docs/RELIABILITY.md; the agents' logs stay in {@code target/fault-suite/<backend>/}.
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FaultSuite {

  static final Path JAR = Path.of("target/overlay-agent.jar");
  static final String ETCD_IP = "192.0.2.10";
  static final String PREFIX = "/coreos.com/network";
  static final String SUBNETS = PREFIX + "/subnets/";
  /** A node that does not exist: leases written by hand name it. */
  static final Ip4 GHOST = Ip4.parse("192.0.2.99");
  static final Duration REPAIR = Duration.ofSeconds(30);

  /** The backend type, as in the network config. */
  abstract String backend();

  /** The namespace prefix (short, no dashes). */
  abstract String prefix();

  TestCluster cluster;
  EtcdServer etcd;
  /** The agents' logs and subnet files, kept after the run (target/fault-suite/<backend>/). */
  Path dir;
  /** The notification sockets: a short path (AF_UNIX allows 108 bytes), deleted after the run. */
  Path sockets;
  final Node[] nodes = new Node[5];
  final Ip4Net[] subnets = new Ip4Net[5];
  final TestCluster.Container[] containers = new TestCluster.Container[5];
  final List<String> report = new ArrayList<>();

  // ------------------------------------------------------------------ set-up

  @BeforeAll
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    EtcdServer.requireInstalled();
    Prerequisites.require(Files.isRegularFile(JAR), JAR.toAbsolutePath().toString(), "run mvn package first");
    for (String tool : List.of("/usr/sbin/iptables", "/usr/bin/ping")) {
      Prerequisites.require(Files.isExecutable(Path.of(tool)), tool, "apt-get install iptables iputils-ping");
    }
    dir = Path.of("target/fault-suite", backend()).toAbsolutePath();
    deleteTree(dir);
    Files.createDirectories(dir);
    sockets = Files.createTempDirectory("overlaynet-faults-");
    cluster = TestCluster.builder().withHosts(4).withPrefix(prefix()).build();
    try (NetlinkHandle ul = NetlinkHandle.openIn(cluster.underlay())) {
      ul.addrAdd(Address.of(ul.linkByName("br0").index(), Ip4.parse(ETCD_IP), 24));
    }
    etcd = EtcdServer.builder().withName("faults").withNetns(cluster.underlay().name(), ETCD_IP).start();
    etcd.etcdctl("put", PREFIX + "/config",
        "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"" + backend() + "\"}}");
    for (int i = 1; i <= 4; i++) {
      nodes[i] = new Node(i);
    }
    for (int i = 1; i <= 3; i++) {
      nodes[i].start();
    }
    for (int i = 1; i <= 3; i++) {
      nodes[i].awaitReady();
      addContainer(i);
    }
    report.add("| scenario | " + backend() + " |");
    report.add("|---|---|");
  }

  void addContainer(int i) throws Exception {
    subnets[i] = nodes[i].subnet();
    Ip4 base = subnets[i].address();
    containers[i] = cluster.addContainer(cluster.host(i), base.plus(1) + "/" + subnets[i].prefixLength(), base.plus(2));
  }

  @AfterAll
  void tearDown() throws IOException {
    for (Node n : nodes) {
      if (n != null) {
        n.kill();
        n.notify.close();
      }
    }
    if (etcd != null) {
      etcd.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    Path out = Path.of("target/fault-suite/" + backend() + ".md");
    Files.createDirectories(out.getParent());
    Files.write(out, report, StandardCharsets.UTF_8);
    deleteTree(sockets);
  }

  static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (var files = Files.walk(root)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  /**
   * Brings the cluster back to health before each scenario: etcd running, nobody cut off, agents
   * 1 to 3 running (h4 stopped), every container of h1..h3 reaching every other.
   */
  @BeforeEach
  void healthy() throws Exception {
    if (!etcd.isRunning()) {
      etcd.start();
    }
    for (int i = 1; i <= 4; i++) {
      reconnect(i);
    }
    if (nodes[4].alive()) {
      nodes[4].stop();
    }
    for (int i = 1; i <= 3; i++) {
      if (!nodes[i].alive()) {
        nodes[i].start();
        nodes[i].awaitReady();
      }
    }
    for (int i = 1; i <= 3; i++) {
      for (int j = 1; j <= 3; j++) {
        if (i != j) {
          assertTrue(cluster.awaitPing(containers[i].netns(), containers[j].ip(), REPAIR),
              "unhealthy before the scenario: c" + i + " cannot reach c" + j);
        }
      }
    }
  }

  // ------------------------------------------------------------------ scenarios

  @Test
  @Order(1)
  void etcdStoppedFor30Seconds() throws Exception {
    try (Pinger ping = new Pinger(1, 2)) {
      etcd.stop();
      Thread.sleep(15_000);
      // A node booted while etcd is down waits for it (flanneld blocks silently, B7).
      nodes[4].start();
      Thread.sleep(15_000);
      for (int i = 1; i <= 4; i++) {
        assertTrue(nodes[i].alive(), "agent h" + i + " died while etcd was down: " + nodes[i].logTail());
      }
      long t0 = System.nanoTime();
      etcd.start();
      nodes[4].awaitReady();
      double ready = seconds(t0);
      if (containers[4] == null) {
        addContainer(4);
      }
      // Its lease, created after the restart, is programmed everywhere.
      for (int i = 1; i <= 3; i++) {
        int host = i;
        await("c" + i + " reaching the new node's container", REPAIR,
            () -> pingOnce(host, containers[4].ip()) && pingOnce(4, containers[host].ip()));
      }
      double joined = seconds(t0);
      int lost = ping.stop();
      row("etcd stopped for 30 s; a node started during the outage", "pings c1→c2 lost " + lost + " of " + ping.sent()
          + "; the node started meanwhile was ready " + fmt(ready) + " s after etcd was back, reachable from all"
          + " after " + fmt(joined) + " s");
      assertEquals(0, lost, "the data plane must not depend on etcd");
    }
    // h4 leaves again: stopped, and its lease goes away as it would expire.
    nodes[4].stop();
    etcd.etcdctl("del", SUBNETS + subnets[4].address() + "-" + subnets[4].prefixLength());
    for (int i = 1; i <= 3; i++) {
      int host = i;
      await("h4 unprogrammed on h" + i, REPAIR, () -> !programmed(host, subnets[4]));
    }
  }

  @Test
  @Order(2)
  void agentSigtermThenRestart() throws Exception {
    restart(false);
  }

  @Test
  @Order(3)
  void agentSigkillThenRestart() throws Exception {
    restart(true);
  }

  private void restart(boolean kill) throws Exception {
    Ip4Net before = subnets[2];
    try (Pinger ping = new Pinger(1, 2)) {
      Thread.sleep(1000);
      long t0 = System.nanoTime();
      int status = kill ? nodes[2].kill() : nodes[2].stop();
      double exit = seconds(t0);
      if (!kill) {
        assertEquals(0, status, "SIGTERM is a clean exit: " + nodes[2].logTail());
      }
      nodes[2].start();
      nodes[2].awaitReady();
      assertEquals(before, nodes[2].subnet(), "a restarted agent keeps its subnet");
      await("c1 reaching c2 again", REPAIR, () -> pingOnce(1, containers[2].ip()));
      Thread.sleep(1000);
      int lost = ping.stop();
      row("agent " + (kill ? "SIGKILL" : "SIGTERM (exit " + status + " in " + fmt(exit) + " s)") + ", restarted",
          "same subnet; pings c1→c2 lost " + lost + " of " + ping.sent());
      if (!backend().equals("udp")) {
        // The kernel data plane stays while the agent is away (udp's flannel0 goes with the process).
        assertEquals(0, lost, "pings lost across an agent restart");
      }
    }
  }

  @Test
  @Order(4)
  void aPeerLeaseExpires() throws Exception {
    String id = grant(6);
    Ip4Net subnet = Ip4Net.parse("10.5.250.0/24");
    etcd.etcdctl("put", "--lease=" + id, key(subnet), ghostLease(0x50));
    long t0 = System.nanoTime();
    awaitEverywhere(subnet, true, "the expiring lease programmed");
    double added = seconds(t0);
    // The lease runs out 6 s after the grant.
    await("the lease expiring in etcd", REPAIR, () -> etcd.etcdctl("get", key(subnet)).isBlank());
    long t1 = System.nanoTime();
    awaitEverywhere(subnet, false, "the expired lease unprogrammed");
    row("a peer lease expires", "programmed on all in " + fmt(added) + " s; removed on all "
        + fmt(seconds(t1)) + " s after etcd expired it");
  }

  @Test
  @Order(5)
  void threeLeasesInOneTransactionThenTheirEtcdLeaseRevoked() throws Exception {
    String id = grant(600);
    List<Ip4Net> three = List.of(Ip4Net.parse("10.5.221.0/24"), Ip4Net.parse("10.5.222.0/24"),
        Ip4Net.parse("10.5.223.0/24"));
    StringBuilder txn = new StringBuilder("\n");
    int mac = 0x60;
    for (Ip4Net s : three) {
      txn.append("put ").append(key(s)).append(" \"").append(ghostLease(mac++).replace("\"", "\\\""))
          .append("\" --lease=").append(id).append('\n');
    }
    txn.append("\n\n");
    assertTrue(etcd.etcdctlWithInput(txn.toString(), "txn").startsWith("SUCCESS"));
    for (Ip4Net s : three) {
      awaitEverywhere(s, true, "every lease of the transaction programmed");
    }
    etcd.etcdctl("lease", "revoke", id);
    for (Ip4Net s : three) {
      awaitEverywhere(s, false, "every lease of the revoked etcd lease unprogrammed");
    }
    row("3 leases in one etcd txn, then their etcd lease revoked", "all 3 programmed on every host, then all 3"
        + " removed (flanneld v0.20.2: only the first programmed, 2 stale entries left, B8)");
  }

  @Test
  @Order(6)
  void malformedValuesAndKeys() throws Exception {
    Ip4Net good = Ip4Net.parse("10.5.231.0/24");
    etcd.etcdctl("put", SUBNETS + "10.5.230.0-24", "{not json");
    etcd.etcdctl("put", SUBNETS + "garbage-key", ghostLease(0x70));
    etcd.etcdctl("put", SUBNETS + "10.5.232.0-24", "{\"PublicIP\":\"not-an-ip\",\"BackendType\":\"" + backend() + "\"}");
    etcd.etcdctl("put", key(good), ghostLease(0x71));
    awaitEverywhere(good, true, "the valid lease beside the garbage programmed");
    for (int i = 1; i <= 3; i++) {
      assertTrue(nodes[i].alive(), "agent h" + i + " died on garbage: " + nodes[i].logTail());
    }
    for (String k : List.of(SUBNETS + "10.5.230.0-24", SUBNETS + "garbage-key", SUBNETS + "10.5.232.0-24", key(good))) {
      etcd.etcdctl("del", k);
    }
    awaitEverywhere(good, false, "the valid lease unprogrammed");
    row("malformed values and keys under subnets/", "skipped with a warning; a valid lease beside them programmed"
        + " on all; no agent stopped");
  }

  @Test
  @Order(7)
  void deviceAndRouteDeletedByHand() throws Exception {
    String h1 = cluster.host(1).name();
    List<String> measured = new ArrayList<>();
    try (Pinger ping = new Pinger(1, 2)) {
      String device = switch (backend()) {
        case "vxlan" -> "flannel.1";
        case "udp" -> "flannel0";
        default -> null;
      };
      if (device != null) {
        long t0 = System.nanoTime();
        run("ip", "-n", h1, "link", "del", device);
        await("c1 reaching c2 after " + device + " was deleted", REPAIR, () -> pingOnce(1, containers[2].ip()));
        measured.add(device + " deleted: traffic back in " + fmt(seconds(t0)) + " s");
      }
      String route = switch (backend()) {
        case "udp" -> "10.5.0.0/16";
        default -> subnets[2].toString();
      };
      long t1 = System.nanoTime();
      run("ip", "-n", h1, "route", "del", route);
      await("the route to " + route + " restored on h1", REPAIR,
          () -> !run("ip", "-n", h1, "route", "show", route).isBlank() && pingOnce(1, containers[2].ip()));
      measured.add("route " + route + " deleted: restored in " + fmt(seconds(t1)) + " s");
      Thread.sleep(1000);
      int lost = ping.stop();
      row("the device and a route deleted by hand", String.join("; ", measured) + "; pings c1→c2 lost " + lost
          + " of " + ping.sent());
    }
  }

  @Test
  @Order(8)
  void aLeaseDeletedWhileTheAgentWasDown() throws Exception {
    // h3 dies, h1's agent is stopped, h3's lease goes away (as it would expire), h1 starts again.
    nodes[3].kill();
    nodes[1].stop();
    etcd.etcdctl("del", key(subnets[3]));
    nodes[1].start();
    nodes[1].awaitReady();
    long t0 = System.nanoTime();
    await("h3's subnet unprogrammed on h1 after its restart", REPAIR, () -> !programmed(1, subnets[3]));
    await("h3's subnet unprogrammed on h2", REPAIR, () -> !programmed(2, subnets[3]));
    double gone = seconds(t0);
    // h3 comes back with its subnet (from its subnet file) and is reachable again.
    nodes[3].start();
    nodes[3].awaitReady();
    assertEquals(subnets[3], nodes[3].subnet());
    await("c1 reaching c3 again", REPAIR, () -> pingOnce(1, containers[3].ip()));
    row("a lease deleted while the agent was down", "stale entries for it on h1 after the restart: none ("
        + fmt(gone) + " s after READY); flanneld's host-gw keeps the route for ever (flannel#2554)");
  }

  @Test
  @Order(9)
  void cutOffFromEtcdWhileLeasesComeAndGoAndHistoryIsCompacted() throws Exception {
    Ip4Net leaving = Ip4Net.parse("10.5.241.0/24");
    Ip4Net joining = Ip4Net.parse("10.5.240.0/24");
    etcd.etcdctl("put", key(leaving), ghostLease(0x41));
    await("the lease that will leave programmed on h1", REPAIR, () -> programmed(1, leaving));
    try (Pinger ping = new Pinger(1, 2)) {
      cutOff(1);
      etcd.etcdctl("del", key(leaving));
      etcd.etcdctl("put", key(joining), ghostLease(0x40));
      etcd.compact(etcd.revision());
      // Long enough for the keep-alive probes (10 s idle, 3 × 5 s) to find the connections dead.
      Thread.sleep(30_000);
      assertTrue(programmed(1, leaving) && !programmed(1, joining), "h1 was not cut off");
      long t0 = System.nanoTime();
      reconnect(1);
      await("h1 converging after the cut-off", Duration.ofSeconds(60),
          () -> !programmed(1, leaving) && programmed(1, joining));
      double converged = seconds(t0);
      int lost = ping.stop();
      row("cut off from etcd for 30 s (iptables DROP both ways) while a lease comes, one goes and the history is"
          + " compacted", "h1 converged " + fmt(converged) + " s after the cut ended (re-list after compaction);"
          + " pings c1→c2 lost " + lost + " of " + ping.sent());
      assertEquals(0, lost);
    } finally {
      etcd.etcdctl("del", key(joining));
    }
  }

  @Test
  @Order(10)
  void sigtermWhileEtcdIsDownAndDuringStartUp() throws Exception {
    List<String> measured = new ArrayList<>();
    nodes[2].stop();
    etcd.stop();
    nodes[2].start();
    Thread.sleep(3000); // waiting for etcd
    assertTrue(nodes[2].alive(), "an agent must wait for etcd, not exit: " + nodes[2].logTail());
    long t0 = System.nanoTime();
    assertEquals(0, nodes[2].stop(), "SIGTERM while waiting for etcd: " + nodes[2].logTail());
    measured.add("while etcd was down: exit 0 in " + fmt(seconds(t0)) + " s");
    etcd.start();
    for (int delayMs : new int[] {200, 600, 1200}) {
      nodes[2].start();
      Thread.sleep(delayMs);
      long t1 = System.nanoTime();
      int status = nodes[2].stop();
      // Before the JVM installed its handler the default action applies (143); after, a clean 0.
      assertTrue(status == 0 || status == 143, "exit status " + status + ": " + nodes[2].logTail());
      measured.add("after " + delayMs + " ms: exit " + status + " in " + fmt(seconds(t1)) + " s");
    }
    nodes[2].start();
    nodes[2].awaitReady();
    assertEquals(subnets[2], nodes[2].subnet());
    await("c1 reaching c2 after the interrupted starts", REPAIR, () -> pingOnce(1, containers[2].ip()));
    row("SIGTERM while etcd is down and during start-up", String.join("; ", measured)
        + "; the next start is normal, same subnet");
  }

  // ------------------------------------------------------------------ helpers

  /** What host {@code h}'s data plane holds for {@code subnet} (udp: what its agent says it holds). */
  boolean programmed(int h, Ip4Net subnet) {
    if (backend().equals("udp")) {
      return nodes[h].lastSaid(subnet);
    }
    return !run("ip", "-n", cluster.host(h).name(), "route", "show", subnet.toString()).isBlank();
  }

  void awaitEverywhere(Ip4Net subnet, boolean present, String what) throws InterruptedException {
    for (int i = 1; i <= 3; i++) {
      int host = i;
      await(what + " (h" + i + ")", REPAIR, () -> programmed(host, subnet) == present);
    }
  }

  /** A lease of the ghost node 192.0.2.99 in this backend's format. */
  String ghostLease(int mac) {
    LeaseAttrs attrs = LeaseAttrs.of(GHOST);
    attrs = switch (backend()) {
      case "vxlan" -> attrs.withBackend("vxlan", String.format(Locale.ROOT,
          "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:%02x\"}", mac));
      case "host-gw" -> attrs.withBackend("host-gw", null);
      default -> attrs;
    };
    return LeaseCodec.toJson(attrs);
  }

  static String key(Ip4Net subnet) {
    return SUBNETS + subnet.address() + "-" + subnet.prefixLength();
  }

  String grant(int ttlSeconds) {
    Matcher m = Pattern.compile("lease ([0-9a-f]+) granted").matcher(etcd.etcdctl("lease", "grant",
        Integer.toString(ttlSeconds)));
    assertTrue(m.find());
    return m.group(1);
  }

  /** Cuts host {@code h} off from etcd: its packets to and from etcd's client port are dropped. */
  void cutOff(int h) {
    String ns = cluster.host(h).name();
    run("ip", "netns", "exec", ns, "iptables", "-I", "OUTPUT", "-d", ETCD_IP, "-p", "tcp", "--dport", "2379", "-j", "DROP");
    run("ip", "netns", "exec", ns, "iptables", "-I", "INPUT", "-s", ETCD_IP, "-p", "tcp", "--sport", "2379", "-j", "DROP");
  }

  /** Ends {@link #cutOff}; harmless when not cut off. */
  void reconnect(int h) {
    String ns = cluster.host(h).name();
    while (run("ip", "netns", "exec", ns, "iptables", "-D", "OUTPUT", "-d", ETCD_IP, "-p", "tcp", "--dport", "2379",
        "-j", "DROP").isBlank()) {
      // deleted one; there may be more
    }
    while (run("ip", "netns", "exec", ns, "iptables", "-D", "INPUT", "-s", ETCD_IP, "-p", "tcp", "--sport", "2379",
        "-j", "DROP").isBlank()) {
      // deleted one
    }
  }

  boolean pingOnce(int from, Ip4 to) {
    try {
      return cluster.ping(containers[from].netns(), to);
    } catch (IOException e) {
      return false;
    }
  }

  void row(String scenario, String result) {
    report.add("| " + scenario + " | " + result + " |");
    System.out.println("FAULT-SUITE " + backend() + " | " + scenario + " | " + result);
  }

  static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }

  static String fmt(double seconds) {
    // The checks poll every 100 ms: below that, say so rather than print 0.0.
    return seconds < 0.1 ? "< 0.1" : String.format(Locale.ROOT, "%.1f", seconds);
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + timeout.toSeconds() + " s: " + what);
      }
      Thread.sleep(100);
    }
  }

  /** Runs a command (bounded by 30 s) and returns its output, stderr included. */
  static String run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + List.of(cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** One host's agent process, with its log, subnet file and systemd notification socket. */
  final class Node {
    final int n;
    final Path log;
    final Path env;
    final AgentProcessIT.NotifySocket notify;
    Process process;

    Node(int n) throws IOException {
      this.n = n;
      this.log = dir.resolve("h" + n + ".log");
      this.env = dir.resolve("h" + n + ".env");
      this.notify = new AgentProcessIT.NotifySocket(sockets.resolve("n" + n));
    }

    void start() throws IOException, InterruptedException {
      while (!notify.receive(Duration.ofMillis(60)).equals("(nothing)")) {
        // drop notifications of an earlier run
      }
      String java = ProcessHandle.current().info().command().orElse("java");
      ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", cluster.host(n).name(), java,
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toAbsolutePath().toString(),
          "--etcd-endpoints=http://" + ETCD_IP + ":2379", "--iface=eth0", "--subnet-file=" + env)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().put("NOTIFY_SOCKET", notify.path.toString());
      process = pb.start();
    }

    void awaitReady() throws Exception {
      long deadline = System.nanoTime() + REPAIR.toNanos();
      while (System.nanoTime() < deadline) {
        String msg = notify.receive(Duration.ofMillis(500));
        if (msg.contains("READY=1")) {
          return;
        }
        assertTrue(process.isAlive(), "agent h" + n + " exited with " + (process.isAlive() ? "" : process.exitValue())
            + ": " + logTail());
      }
      fail("agent h" + n + " not ready within " + REPAIR.toSeconds() + " s: " + logTail());
    }

    Ip4Net subnet() throws IOException {
      return SubnetFile.read(env).orElseThrow().subnet().orElseThrow();
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    /** SIGTERM; returns the exit status (waits up to 15 s, then kills). */
    int stop() throws InterruptedException {
      if (!alive()) {
        return process == null ? 0 : process.exitValue();
      }
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("agent h" + n + " did not exit within 15 s of SIGTERM: " + logTail());
      }
      return process.exitValue();
    }

    /** SIGKILL; returns the exit status. */
    int kill() {
      if (process == null) {
        return 0;
      }
      try {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return process.isAlive() ? -1 : process.exitValue();
    }

    /** Whether the agent's last word on {@code subnet} was that it added it (the udp backend's peer table). */
    boolean lastSaid(Ip4Net subnet) {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
          String l = lines.get(i);
          if (l.contains("Subnet added: " + subnet + " ")) {
            return true;
          }
          if (l.contains("Subnet removed: " + subnet) || l.contains("Starting overlaynet")) {
            return false; // removed, or not mentioned since the agent started
          }
        }
        return false;
      } catch (IOException e) {
        return false;
      }
    }

    String logTail() {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }

  /**
   * A continuous ping from container {@code from} to container {@code to}, 5 per second. Lost
   * pings are the sequence numbers that got no reply, the last one sent excepted (its reply may
   * still be on its way when the pinger stops).
   */
  final class Pinger implements AutoCloseable {
    private final Process process;
    private int sent;

    Pinger(int from, int to) throws IOException {
      NetNs ns = containers[from].netns();
      process = new ProcessBuilder("ip", "netns", "exec", ns.name(), "ping", "-n", "-i", "0.2",
          containers[to].ip().toString()).redirectErrorStream(true).start();
    }

    /** Stops the pinger (SIGINT, so it prints its summary) and returns how many pings were lost. */
    int stop() throws IOException, InterruptedException {
      run("kill", "-INT", Long.toString(process.pid()));
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor(10, TimeUnit.SECONDS);
      Matcher summary = Pattern.compile("(\\d+) packets transmitted").matcher(out);
      assertTrue(summary.find(), "no ping summary: " + out);
      sent = Integer.parseInt(summary.group(1));
      BitSet replied = new BitSet();
      Matcher reply = Pattern.compile("icmp_seq=(\\d+) ttl=").matcher(out);
      while (reply.find()) {
        replied.set(Integer.parseInt(reply.group(1)));
      }
      int lost = 0;
      for (int seq = 1; seq < sent; seq++) {
        if (!replied.get(seq)) {
          lost++;
        }
      }
      return lost;
    }

    int sent() {
      return sent;
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
