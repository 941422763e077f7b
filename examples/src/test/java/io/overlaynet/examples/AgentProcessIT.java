package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.SubnetEnv;
import io.overlaynet.SubnetFile;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.ffi.LibC;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.Prerequisites;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example agent as operators run it: two {@code overlay-agent.jar} processes in two host
 * namespaces against a real etcd on the underlay (192.0.2.10, as in the reference setup), with
 * flanneld's flags. Checks subnet.env, STATUS= and READY=1, the watchdog pings, cross-host pings,
 * the firewall rules, SIGTERM (a clean exit 0, promptly) and a restart that keeps the subnet and
 * loses no ping.
 *
 * <p>Deadlines are bounds with margin for a loaded machine (CI, other builds on the same two
 * cores, two JVMs starting): every wait ends as soon as its condition holds.
 */
@Tag("privileged")
class AgentProcessIT {

  static final String PREFIX = "ovlap";
  static final String ETCD = UnderlayEtcd.URL;
  static final Path JAR = Path.of("target/overlay-agent.jar");

  @TempDir
  Path dir;

  TestCluster cluster;
  UnderlayEtcd etcd;
  final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(Files.isRegularFile(JAR), JAR.toAbsolutePath().toString(), "run mvn package first");
    cluster = TestCluster.builder().withHosts(2).withPrefix(PREFIX).build();
    etcd = UnderlayEtcd.start(cluster, dir, "ap");
    etcdctl("put", "/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
  }

  @AfterEach
  void tearDown() {
    processes.forEach(Process::destroyForcibly);
    if (etcd != null) {
      etcd.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  String etcdctl(String... args) throws IOException, InterruptedException {
    return etcd.etcdctl(args);
  }

  Process startAgent(int host, Path notifySocket, String... extraFlags) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", cluster.host(host).name(), java, "-jar",
        JAR.toAbsolutePath().toString(), "-etcd-endpoints=" + ETCD, "--iface=eth0", "--ip-masq",
        "--subnet-file=" + dir.resolve("h" + host + ".env")));
    cmd.addAll(List.of(extraFlags));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("h" + host + ".log").toFile()));
    pb.environment().put("NOTIFY_SOCKET", notifySocket.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("WATCHDOG_"));
    if (host == 1) {
      // WatchdogSec=20s, without WATCHDOG_PID (its pid is not known before the start): the
      // agent pings at once, then every 10 s, so a few pings and no full socket queue.
      pb.environment().put("WATCHDOG_USEC", "20000000");
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  SubnetEnv awaitSubnetFile(int host, long notOlderThanMillis) throws Exception {
    Path f = dir.resolve("h" + host + ".env");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(f) || Files.getLastModifiedTime(f).toMillis() < notOlderThanMillis) {
      assertTrue(System.nanoTime() < deadline, "no subnet file from h" + host + ": "
          + Files.readString(dir.resolve("h" + host + ".log")));
      Thread.sleep(50);
    }
    return SubnetFile.read(f).orElseThrow();
  }

  @Test
  void twoAgentProcessesFormAnOverlayAndSurviveARestart() throws Exception {
    try (NotifySocket n1 = new NotifySocket(dir.resolve("n1")); NotifySocket n2 = new NotifySocket(dir.resolve("n2"))) {
      startAgent(1, n1.path);
      Process a2 = startAgent(2, n2.path);
      SubnetEnv e1 = awaitSubnetFile(1, 0);
      SubnetEnv e2 = awaitSubnetFile(2, 0);
      List<String> toSystemd = n1.receiveUntil("READY=1", Duration.ofSeconds(30));
      n2.receiveUntil("READY=1", Duration.ofSeconds(30));
      assertEquals(1450, e1.mtu());
      assertTrue(e1.ipMasq());
      Ip4Net s1 = e1.subnet().orElseThrow();
      Ip4Net s2 = e2.subnet().orElseThrow();
      assertNotEquals(s1, s2);
      assertEquals(List.of("STATUS=Connecting to etcd " + ETCD, "STATUS=Ready: lease " + s1, "READY=1"),
          toSystemd.stream().filter(m -> !m.equals("WATCHDOG=1")).toList());
      assertTrue(toSystemd.contains("WATCHDOG=1"), "no watchdog ping from h1: " + toSystemd);

      TestCluster.Container c1 = cluster.addContainer(cluster.host(1), s1.address().plus(1) + "/24", s1.address().plus(2));
      TestCluster.Container c2 = cluster.addContainer(cluster.host(2), s2.address().plus(1) + "/24", s2.address().plus(2));
      assertTrue(cluster.awaitPing(c1.netns(), c2.ip(), Duration.ofSeconds(30)), "c1 cannot reach c2");
      assertTrue(cluster.awaitPing(c2.netns(), c1.ip(), Duration.ofSeconds(30)), "c2 cannot reach c1");
      String rules = run("ip", "netns", "exec", cluster.host(1).name(), "iptables-save");
      assertTrue(rules.contains("-A FLANNEL-POSTRTG -s 10.5.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\""
          + " -j MASQUERADE"), rules);

      // Continuous ping c1 -> c2 while h2's agent is stopped with SIGTERM and started again. The
      // data plane is the kernel's (flannel.1, its routes, ARP and FDB entries stay when the agent
      // exits, and the restarted agent replaces them in place), so every echo must be answered.
      try (PingLog ping = PingLog.start(c1.netns().name(), c2.ip().toString())) {
        Await.until("5 echoes c1 -> c2 answered before the stop", Duration.ofSeconds(20), () -> ping.highest() >= 5);
        a2.destroy(); // SIGTERM
        // Clean and prompt (flanneld panics here): a stop takes well under 2 s on an idle machine;
        // 10 s leaves room for a loaded one and still tells a clean stop from a hung close.
        assertTrue(a2.waitFor(10, TimeUnit.SECONDS), "the agent did not exit within 10 s of SIGTERM");
        assertEquals(0, a2.exitValue(), "SIGTERM must be a clean exit: " + Files.readString(dir.resolve("h2.log")));
        long restartedAt = System.currentTimeMillis();
        Thread.sleep(1000); // the node runs without an agent for a while
        startAgent(2, n2.path);
        SubnetEnv again = awaitSubnetFile(2, restartedAt);
        assertEquals(s2, again.subnet().orElseThrow(), "a restarted agent keeps its subnet");
        n2.receiveUntil("READY=1", Duration.ofSeconds(30)); // the restarted agent is ready
        // The window ends 5 echoes after the new agent is ready, so it holds the whole restart.
        int last = ping.highest() + 5;
        Await.until("echoes answered after the restart", Duration.ofSeconds(20), () -> ping.highest() >= last);
        ping.assertNoneLostUpTo(last);
      }
    }
  }

  /**
   * Issue 17: the agent process with {@code "EnableNFTables": true}, restarted from iptables mode:
   * flannel's nftables tables, and no iptables chain of the earlier run.
   */
  @Test
  void switchingToNftablesLeavesNoIptablesChain() throws Exception {
    Prerequisites.require(Files.isExecutable(Path.of("/usr/sbin/nft")), "the nft command", "apt-get install nftables");
    String h1 = cluster.host(1).name();
    try (NotifySocket n1 = new NotifySocket(dir.resolve("n1"))) {
      Process a1 = startAgent(1, n1.path);
      Ip4Net s1 = awaitSubnetFile(1, 0).subnet().orElseThrow();
      n1.receiveUntil("READY=1", Duration.ofSeconds(30));
      assertTrue(run("ip", "netns", "exec", h1, "iptables-save").contains("FLANNEL-POSTRTG"));
      a1.destroy();
      assertTrue(a1.waitFor(10, TimeUnit.SECONDS), "the agent did not exit within 10 s of SIGTERM");

      etcdctl("put", "/coreos.com/network/config",
          "{\"Network\":\"10.5.0.0/16\",\"EnableNFTables\":true,\"Backend\":{\"Type\":\"vxlan\"}}");
      long restartedAt = System.currentTimeMillis();
      startAgent(1, n1.path);
      assertEquals(s1, awaitSubnetFile(1, restartedAt).subnet().orElseThrow(), "the subnet from subnet.env");
      n1.receiveUntil("READY=1", Duration.ofSeconds(30));
      String iptables = run("ip", "netns", "exec", h1, "iptables-save");
      assertTrue(!iptables.contains("FLANNEL-") && !iptables.contains("flanneld"), iptables);
      String nft = run("ip", "netns", "exec", h1, "nft", "list", "table", "ip", "flannel-ipv4");
      assertTrue(nft.contains("ip saddr " + s1 + " ip daddr 10.5.0.0/16 return"), nft);
      assertTrue(nft.contains("ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random"), nft);

      // flanneld v0.27.4's --ip-masq-fully-random-disable: the same rules without fully-random.
      Process a2 = processes.get(processes.size() - 1);
      a2.destroy();
      assertTrue(a2.waitFor(10, TimeUnit.SECONDS), "the agent did not exit within 10 s of SIGTERM");
      long thirdStart = System.currentTimeMillis();
      startAgent(1, n1.path, "--ip-masq-fully-random-disable");
      awaitSubnetFile(1, thirdStart);
      n1.receiveUntil("READY=1", Duration.ofSeconds(30));
      nft = run("ip", "netns", "exec", h1, "nft", "list", "table", "ip", "flannel-ipv4");
      assertTrue(nft.contains("ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade"), nft);
      assertFalse(nft.contains("fully-random"), nft);
    }
  }

  /**
   * A running {@code ping -i 0.2} whose replies are collected by icmp_seq as they arrive. Losses
   * are counted here rather than by ping's summary, which also counts a reply as lost when it
   * comes later than twice the largest round trip after the last probe: a loaded machine can be
   * that slow without losing anything. Here every echo gets 5 s for its reply.
   */
  static final class PingLog implements AutoCloseable {
    private static final Pattern REPLY = Pattern.compile(" bytes from .*icmp_seq=(\\d+)");

    private final Process process;
    private final Set<Integer> replied = ConcurrentHashMap.newKeySet();
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;

    private PingLog(Process process) {
      this.process = process;
      this.reader = new Thread(this::read, "ping-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static PingLog start(String netns, String target) throws IOException {
      return new PingLog(new ProcessBuilder("ip", "netns", "exec", netns, "ping", "-n", "-i", "0.2", target)
          .redirectErrorStream(true).start());
    }

    private void read() {
      // ping flushes each line, so replies are seen as they arrive.
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.append(line).append('\n');
          Matcher m = REPLY.matcher(line);
          if (m.find()) {
            replied.add(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException e) {
        // ping was stopped
      }
    }

    /** The highest icmp_seq answered so far (0 before the first reply). */
    int highest() {
      return replied.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    private List<Integer> missingUpTo(int last) {
      return IntStream.rangeClosed(1, last).filter(seq -> !replied.contains(seq)).boxed().toList();
    }

    /** Fails unless every echo from icmp_seq 1 to {@code last} is answered within 5 s (stragglers). */
    void assertNoneLostUpTo(int last) throws Exception {
      try {
        Await.until("replies to icmp_seq 1.." + last, Duration.ofSeconds(5), () -> missingUpTo(last).isEmpty());
      } catch (AssertionError e) {
        throw new AssertionError("pings were lost across the restart, icmp_seq " + missingUpTo(last) + ":\n" + output, e);
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      reader.join(5000);
    }
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  /** A path-bound AF_UNIX datagram socket standing in for systemd's notification socket. */
  static final class NotifySocket implements AutoCloseable {
    final Path path;
    final int fd;

    NotifySocket(Path path) throws IOException {
      this.path = path;
      LibC libc = Native.libc();
      fd = libc.socket(1, 2, 0);
      byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
      ByteBuffer addr = ByteBuffer.allocateDirect(110).order(ByteOrder.nativeOrder());
      addr.putShort((short) 1).put(p).put((byte) 0);
      int len = addr.position();
      addr.flip();
      if (libc.bind(fd, addr, len) != 0) {
        throw new IOException("bind " + path + ": errno " + Native.errno());
      }
    }

    /** Returns the messages received up to and with {@code last}; fails if it does not come within {@code timeout}. */
    List<String> receiveUntil(String last, Duration timeout) throws InterruptedException {
      List<String> got = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (got.isEmpty() || !got.get(got.size() - 1).equals(last)) {
        long left = deadline - System.nanoTime();
        String m = left > 0 ? receive(Duration.ofNanos(left)) : "(nothing)";
        assertNotEquals("(nothing)", m, "no " + last + " within " + timeout.toSeconds() + " s, only " + got);
        got.add(m);
      }
      return got;
    }

    String receive(Duration timeout) throws InterruptedException {
      ByteBuffer buf = ByteBuffer.allocateDirect(256);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        long n = Native.libc().recv(fd, buf, 256, 0x40 /* MSG_DONTWAIT */);
        if (n > 0) {
          byte[] b = new byte[(int) n];
          buf.get(b);
          return new String(b, StandardCharsets.UTF_8);
        }
        Thread.sleep(50);
      }
      return "(nothing)";
    }

    @Override
    public void close() {
      Native.libc().close(fd);
    }
  }
}
