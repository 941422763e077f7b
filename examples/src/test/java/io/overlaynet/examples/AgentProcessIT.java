package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.SubnetEnv;
import io.overlaynet.SubnetFile;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.internal.LibC;
import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example agent as operators run it: two {@code overlay-agent.jar} processes in two host
 * namespaces against a real etcd on the underlay (192.0.2.10, as in the reference setup), with
 * flanneld's flags. Checks subnet.env, READY=1, cross-host pings, the firewall rules, SIGTERM
 * (exit 0 within 2 s) and a restart that keeps the subnet and loses no ping.
 */
@Tag("privileged")
class AgentProcessIT {

  static final String PREFIX = "ovlap";
  static final String ETCD = "http://192.0.2.10:2379";
  static final Path JAR = Path.of("target/overlay-agent.jar");

  @TempDir
  Path dir;

  TestCluster cluster;
  Process etcd;
  final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/etcd")), "/usr/bin/etcd",
        "apt-get install etcd-server etcd-client");
    Prerequisites.require(Files.isRegularFile(JAR), JAR.toAbsolutePath().toString(), "run mvn package first");
    cluster = TestCluster.builder().withHosts(2).withPrefix(PREFIX).build();
    try (NetlinkHandle ul = NetlinkHandle.openIn(cluster.underlay())) {
      ul.addrAdd(Address.of(ul.linkByName("br0").index(), Ip4.parse("192.0.2.10"), 24));
    }
    String ul = cluster.underlay().name();
    etcd = new ProcessBuilder("ip", "netns", "exec", ul, "/usr/bin/etcd", "--name", "ap",
        "--data-dir", dir.resolve("etcd").toString(),
        "--listen-client-urls", ETCD, "--advertise-client-urls", ETCD,
        "--listen-peer-urls", "http://192.0.2.10:2380", "--initial-advertise-peer-urls", "http://192.0.2.10:2380",
        "--initial-cluster", "ap=http://192.0.2.10:2380")
        .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!etcdctl("endpoint", "health").contains("is healthy")) {
      assertTrue(System.nanoTime() < deadline, "etcd did not become healthy: " + Files.readString(dir.resolve("etcd.log")));
      Thread.sleep(200);
    }
    etcdctl("put", "/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
  }

  @AfterEach
  void tearDown() {
    processes.forEach(Process::destroyForcibly);
    if (etcd != null) {
      etcd.destroyForcibly();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  String etcdctl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", cluster.underlay().name(), "etcdctl",
        "--endpoints=" + ETCD));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  Process startAgent(int host, Path notifySocket) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", cluster.host(host).name(), java, "-jar",
        JAR.toAbsolutePath().toString(), "-etcd-endpoints=" + ETCD, "--iface=eth0", "--ip-masq",
        "--subnet-file=" + dir.resolve("h" + host + ".env"))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("h" + host + ".log").toFile()));
    pb.environment().put("NOTIFY_SOCKET", notifySocket.toString());
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
      assertEquals("READY=1", n1.receive(Duration.ofSeconds(10)));
      assertEquals("READY=1", n2.receive(Duration.ofSeconds(10)));
      assertEquals(1450, e1.mtu());
      assertTrue(e1.ipMasq());
      Ip4Net s1 = e1.subnet().orElseThrow();
      Ip4Net s2 = e2.subnet().orElseThrow();
      assertNotEquals(s1, s2);

      TestCluster.Container c1 = cluster.addContainer(cluster.host(1), s1.address().plus(1) + "/24", s1.address().plus(2));
      TestCluster.Container c2 = cluster.addContainer(cluster.host(2), s2.address().plus(1) + "/24", s2.address().plus(2));
      assertTrue(cluster.awaitPing(c1.netns(), c2.ip(), Duration.ofSeconds(10)), "c1 cannot reach c2");
      assertTrue(cluster.awaitPing(c2.netns(), c1.ip(), Duration.ofSeconds(10)), "c2 cannot reach c1");
      String rules = run("ip", "netns", "exec", cluster.host(1).name(), "iptables-save");
      assertTrue(rules.contains("-A FLANNEL-POSTRTG -s 10.5.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\""
          + " -j MASQUERADE"), rules);

      // Continuous ping c1 -> c2 while h2's agent is stopped with SIGTERM and started again.
      Process ping = new ProcessBuilder("ip", "netns", "exec", c1.netns().name(), "ping", "-i", "0.2", "-c", "40",
          c2.ip().toString()).redirectErrorStream(true).start();
      Thread.sleep(1000);
      long t0 = System.nanoTime();
      a2.destroy(); // SIGTERM
      assertTrue(a2.waitFor(2, TimeUnit.SECONDS), "the agent did not exit within 2 s of SIGTERM");
      assertEquals(0, a2.exitValue(), "SIGTERM must be a clean exit: " + Files.readString(dir.resolve("h2.log")));
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
      long restartedAt = System.currentTimeMillis();
      Thread.sleep(1000);
      startAgent(2, n2.path);
      SubnetEnv again = awaitSubnetFile(2, restartedAt);
      assertEquals(s2, again.subnet().orElseThrow(), "a restarted agent keeps its subnet");
      String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      ping.waitFor(30, TimeUnit.SECONDS);
      Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(out);
      assertTrue(m.find(), out);
      assertEquals(m.group(1), m.group(2), "pings were lost across the restart: " + out);
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
