package io.overlaynet.examples;

import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd process on a {@link TestCluster}'s underlay, at 192.0.2.10:2379 (the reference
 * setup's address), for tests that run agent processes in the host namespaces.
 */
final class UnderlayEtcd implements AutoCloseable {

  static final String URL = "http://192.0.2.10:2379";

  private final TestCluster cluster;
  private final Process process;

  private UnderlayEtcd(TestCluster cluster, Process process) {
    this.cluster = cluster;
    this.process = process;
  }

  /** Starts etcd named {@code name} with its data and log in {@code dir}; returns once it is healthy. */
  static UnderlayEtcd start(TestCluster cluster, Path dir, String name) throws Exception {
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/etcd")), "/usr/bin/etcd",
        "apt-get install etcd-server etcd-client");
    try (NetlinkHandle ul = NetlinkHandle.openIn(cluster.underlay())) {
      ul.addrAdd(Address.of(ul.linkByName("br0").index(), Ip4.parse("192.0.2.10"), 24));
    }
    Path log = dir.resolve("etcd.log");
    Process p = new ProcessBuilder("ip", "netns", "exec", cluster.underlay().name(), "/usr/bin/etcd", "--name", name,
        "--data-dir", dir.resolve("etcd").toString(), "--listen-client-urls", URL, "--advertise-client-urls", URL,
        "--listen-peer-urls", "http://192.0.2.10:2380", "--initial-advertise-peer-urls", "http://192.0.2.10:2380",
        "--initial-cluster", name + "=http://192.0.2.10:2380")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    UnderlayEtcd etcd = new UnderlayEtcd(cluster, p);
    try {
      Await.until("etcd healthy (log: " + log + ")", Duration.ofSeconds(20),
          () -> etcd.etcdctl("endpoint", "health").contains("is healthy"));
    } catch (Exception | AssertionError e) {
      etcd.close();
      throw e;
    }
    return etcd;
  }

  /** Runs {@code etcdctl} (v3 API) against it from the underlay; returns its output. */
  String etcdctl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", cluster.underlay().name(), "etcdctl",
        "--endpoints=" + URL));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
