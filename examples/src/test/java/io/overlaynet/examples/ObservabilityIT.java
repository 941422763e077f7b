package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.SubnetFile;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
 * Issue 15, as an operator sees it: three agent processes (vxlan) against a real etcd, each
 * serving {@code /metrics} and {@code /status}; {@code overlay-agent status} run on a host.
 * h1's agent runs with its repairs paused (a test seam, not a flag), so a route deleted there
 * stays deleted and shows as drift; h2's agent repairs, and counts it.
 */
@Tag("privileged")
class ObservabilityIT {

  static final String PREFIX = "ovlob";
  static final String ETCD = UnderlayEtcd.URL;
  static final Path JAR = Path.of("target/overlay-agent.jar");
  static final int PORT = 8471;

  @TempDir
  Path dir;

  TestCluster cluster;
  UnderlayEtcd etcd;
  final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(Files.isRegularFile(JAR), JAR.toAbsolutePath().toString(), "run mvn package first");
    cluster = TestCluster.builder().withHosts(3).withPrefix(PREFIX).build();
    etcd = UnderlayEtcd.start(cluster, dir, "ob");
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

  String etcdctl(String... args) throws Exception {
    return etcd.etcdctl(args);
  }

  record Result(int exit, String output) {}

  Result run(List<String> cmd) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("ETCDCTL_API", "3");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "did not end: " + cmd);
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  Process startAgent(int host, String... jvmFlags) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", cluster.host(host).name(), java()));
    cmd.addAll(List.of(jvmFlags));
    cmd.addAll(List.of("-jar", JAR.toAbsolutePath().toString(), "-etcd-endpoints=" + ETCD, "--iface=eth0",
        "--healthz-port=" + PORT, "--subnet-file=" + dir.resolve("h" + host + ".env")));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("h" + host + ".log").toFile())).start();
    processes.add(p);
    return p;
  }

  Ip4Net awaitSubnet(int host) throws Exception {
    Path f = dir.resolve("h" + host + ".env");
    Await.until("h" + host + "'s subnet.env", Duration.ofSeconds(30), () -> Files.exists(f));
    return SubnetFile.read(f).orElseThrow().subnet().orElseThrow();
  }

  /** GET on the agent of {@code host}, from a thread inside its namespace (HTTP/1.0, by hand). */
  String get(int host, String path) throws Exception {
    NetNs ns = cluster.host(host).netns();
    return ns.run(() -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", PORT), 5000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return all.substring(all.indexOf("\r\n\r\n") + 4);
      } catch (IOException e) {
        return "unreachable: " + e;
      }
    });
  }

  /** Returns the value of the metric line that starts with {@code series}, or -1. */
  double metric(int host, String series) throws Exception {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(get(host, "/metrics"));
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  Result status(int host, String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", cluster.host(host).name(), java(), "-jar",
        JAR.toAbsolutePath().toString(), "status"));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static JsonObject peer(JsonObject status, Ip4Net subnet) {
    for (JsonElement e : status.getAsJsonArray("peers")) {
      if (e.getAsJsonObject().get("subnet").getAsString().equals(subnet.toString())) {
        return e.getAsJsonObject();
      }
    }
    throw new AssertionError("no peer " + subnet + " in " + status);
  }

  static String drift(JsonObject peer, String kind) {
    for (JsonElement e : peer.getAsJsonArray("entries")) {
      if (e.getAsJsonObject().get("kind").getAsString().equals(kind)) {
        return e.getAsJsonObject().get("drift").getAsString();
      }
    }
    throw new AssertionError("no " + kind + " entry in " + peer);
  }

  @Test
  void metricsFollowPeersAndRepairsAndStatusMarksDrift() throws Exception {
    startAgent(1, "-Doverlaynet.internal.pauseRepair=true");
    startAgent(2);
    Ip4Net s1 = awaitSubnet(1);
    Ip4Net s2 = awaitSubnet(2);
    String peers = "overlaynet_peers{backend=\"vxlan\"}";
    Await.until("h1 sees 1 peer", Duration.ofSeconds(20), () -> metric(1, peers) == 1);

    // A third host joins: 1 -> 2.
    Process a3 = startAgent(3);
    Ip4Net s3 = awaitSubnet(3);
    Await.until("h1 sees 2 peers", Duration.ofSeconds(20), () -> metric(1, peers) == 2);

    Result ok = status(1, "-o", "json");
    assertEquals(0, ok.exit(), ok.output());
    JsonObject st = JsonParser.parseString(ok.output()).getAsJsonObject();
    assertEquals("READY", st.get("state").getAsString());
    assertEquals(s1.toString(), st.getAsJsonObject("lease").get("subnet").getAsString());
    assertEquals(2, st.getAsJsonArray("peers").size());
    assertEquals(0, st.get("drift").getAsInt());

    // h2's route deleted by hand on h1, whose repairs are paused: status marks exactly that.
    run(List.of("ip", "netns", "exec", cluster.host(1).name(), "ip", "route", "del", s2.toString()));
    Result table = status(1);
    assertEquals(1, table.exit(), "drift is exit status 1: " + table.output());
    assertTrue(table.output().contains("from the agent at http://127.0.0.1:" + PORT), table.output());
    String row2 = table.output().lines().filter(l -> l.startsWith(s2.toString())).findFirst().orElseThrow();
    assertTrue(row2.contains("route " + s2 + " via " + s2.address() + " dev flannel.1 onlink") && row2.endsWith("MISSING"),
        table.output());
    String row3 = table.output().lines().filter(l -> l.startsWith(s3.toString())).findFirst().orElseThrow();
    assertTrue(row3.endsWith("ok"), table.output());
    JsonObject drifted = JsonParser.parseString(status(1, "-o", "json").output()).getAsJsonObject();
    assertEquals("MISSING", drift(peer(drifted, s2), "route"));
    assertEquals("OK", drift(peer(drifted, s2), "fdb"));
    assertTrue(peer(drifted, s3).get("inSync").getAsBoolean());
    assertEquals(1, drifted.get("drift").getAsInt());

    // On h2, whose agent repairs, the same deletion is put right and counted.
    String restored = "overlaynet_repairs_total{kind=\"route_restored\"}";
    assertEquals(0, metric(2, restored));
    run(List.of("ip", "netns", "exec", cluster.host(2).name(), "ip", "route", "del", s1.toString()));
    Await.until("h2 counts a restored route", Duration.ofSeconds(20), () -> metric(2, restored) >= 1);
    assertTrue(run(List.of("ip", "netns", "exec", cluster.host(2).name(), "ip", "route", "show", s1.toString()))
        .output().contains("flannel.1"), "the route is back");

    // h3 leaves (agent stopped, lease deleted): 2 -> 1.
    a3.destroy();
    assertTrue(a3.waitFor(10, TimeUnit.SECONDS));
    etcdctl("del", "/coreos.com/network/subnets/" + s3.address() + "-24");
    Await.until("h1 sees 1 peer again", Duration.ofSeconds(20), () -> metric(1, peers) == 1);
    assertTrue(metric(1, "overlaynet_lease_events_applied_total") >= 2);

    // No agent answering: the command reads etcd and the kernel itself, and says so.
    Result direct = status(1, "--healthz-port=0", "--etcd-endpoints=" + ETCD, "--subnet-file="
        + dir.resolve("h1.env"), "-o", "json");
    JsonObject d = JsonParser.parseString(direct.output()).getAsJsonObject();
    assertEquals("direct", d.get("source").getAsString(), direct.output());
    assertTrue(d.get("note").getAsString().startsWith("no agent answered"), direct.output());
    JsonArray dp = d.getAsJsonArray("peers");
    assertEquals(1, dp.size(), "only h2 is left: " + direct.output());
    assertEquals("MISSING", drift(peer(d, s2), "route"));
    assertEquals(1, direct.exit());
  }
}
