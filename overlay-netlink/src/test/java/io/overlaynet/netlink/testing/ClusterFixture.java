package io.overlaynet.netlink.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.Backend;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.NetworkConfig;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * N hosts (namespaces on one bridge, from the netlink test kit), one agent per host over a shared
 * store, and a container behind each host's {@code cbr0} at {@code FLANNEL_SUBNET}. Every agent
 * runs its kernel work on threads inside its host's namespace. Closing tears everything down.
 */
public final class ClusterFixture implements AutoCloseable {

  public static final String PREFIX = "/coreos.com/network";

  public final TestCluster cluster;
  public final Store store;
  public final Supplier<Backend> backends;
  public final Path dir;
  public final Agent[] agents;
  public final Lease[] leases;
  public final TestCluster.Container[] containers;

  // What this fixture made for itself (startInMemory) and so closes with the cluster.
  private final List<AutoCloseable> owned = new ArrayList<>();

  private ClusterFixture(TestCluster cluster, Store store, Supplier<Backend> backends, Path dir) {
    this.cluster = cluster;
    this.store = store;
    this.backends = backends;
    this.dir = dir;
    int n = cluster.hosts().size();
    this.agents = new Agent[n + 1];
    this.leases = new Lease[n + 1];
    this.containers = new TestCluster.Container[n + 1];
  }

  /** Builds the hosts, writes the config, starts an agent per host and a container behind each. */
  public static ClusterFixture start(int hosts, String configJson, Store store, Supplier<Backend> backends, Path dir)
      throws Exception {
    return start(hosts, configJson, store, backends, dir, null);
  }

  /**
   * As {@link #start(int, String, Store, Supplier, Path)} over a new {@link InMemoryStore} and a new
   * temporary directory, both closed (the directory deleted) with the fixture.
   */
  public static ClusterFixture startInMemory(int hosts, String configJson, Supplier<Backend> backends)
      throws Exception {
    InMemoryStore store = InMemoryStore.create();
    Path dir;
    try {
      dir = Files.createTempDirectory("cluster-fixture");
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    ClusterFixture f;
    try {
      f = start(hosts, configJson, store, backends, dir);
    } catch (Exception | Error e) {
      store.close();
      deleteRecursively(dir);
      throw e;
    }
    f.owned.add(store);
    f.owned.add(() -> deleteRecursively(dir));
    return f;
  }

  /** As {@link #start(int, String, Store, Supplier, Path)}, with a fixed namespace name prefix (null: random). */
  public static ClusterFixture start(int hosts, String configJson, Store store, Supplier<Backend> backends, Path dir,
      String prefix) throws Exception {
    TestCluster.Builder b = TestCluster.builder().withHosts(hosts);
    if (prefix != null) {
      b.withPrefix(prefix);
    }
    // A config with IPv6 gets an IPv6 underlay too, and dual-stack (or IPv6-only) containers.
    boolean ipv6 = NetworkConfig.parse(configJson).enableIpv6();
    if (ipv6) {
      b.withIpv6Underlay();
    }
    TestCluster cluster = b.build();
    ClusterFixture f = new ClusterFixture(cluster, store, backends, dir);
    try {
      store.put(PREFIX + "/config", configJson, Store.NO_TTL);
      for (int i = 1; i <= hosts; i++) {
        f.startAgent(i);
      }
      for (int i = 1; i <= hosts; i++) {
        Lease l = f.leases[i];
        boolean v4 = !l.subnet().isEmpty();
        Ip6Net s6 = l.ipv6Subnet().orElse(null);
        f.containers[i] = cluster.addContainer(cluster.host(i),
            v4 ? l.subnet().address().plus(1) + "/" + l.subnet().prefixLength() : null,
            v4 ? l.subnet().address().plus(2) : null,
            s6 != null ? s6.address().plus(1) + "/" + s6.prefixLength() : null,
            s6 != null ? s6.address().plus(2) : null);
      }
      return f;
    } catch (Exception | Error e) {
      f.close();
      throw e;
    }
  }

  /** Returns a thread factory whose threads run inside {@code ns} (and so do threads they start). */
  public static ThreadFactory inNamespace(NetNs ns) {
    return r -> {
      Thread t = new Thread(() -> {
        try {
          ns.run(() -> {
            r.run();
            return null;
          });
        } catch (NetlinkException e) {
          throw new IllegalStateException("cannot enter " + ns, e);
        }
      });
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Starts (or restarts) the agent of host {@code i} with its subnet file; returns its lease. With
   * an IPv6 underlay the agent chooses {@code eth0} by name, as an operator's {@code --iface=eth0}.
   */
  public Lease startAgent(int i) throws IOException {
    TestCluster.Host h = cluster.host(i);
    Agent.Builder ab = Agent.builder().store(store, PREFIX).backend(backends.get())
        .threadFactory(inNamespace(h.netns()))
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("h" + i + "/subnet.env"))
            .withConfigRetry(Duration.ofMillis(100)).withInterfaces(List.of(h.underlayLink())));
    if (h.underlayIp6().isEmpty()) {
      Link eth0 = h.netlink().linkByName(h.underlayLink());
      ab.externalInterface(ExternalInterface.ipv4(eth0.name(), eth0.index(), eth0.attrs().mtu(), h.underlayIp()));
    }
    Agent a = ab.build();
    agents[i] = a;
    leases[i] = a.start();
    return leases[i];
  }

  /** Closes the agent of host {@code i} (routes and devices stay, as with flanneld). */
  public void stopAgent(int i) {
    if (agents[i] != null) {
      agents[i].close();
      agents[i] = null;
    }
  }

  /** Returns the contents of host {@code i}'s subnet file. */
  public String subnetFile(int i) throws IOException {
    return Files.readString(dir.resolve("h" + i + "/subnet.env"));
  }

  public int size() {
    return cluster.hosts().size();
  }

  /** Asserts that every container reaches every other: ICMP, then a TCP exchange. */
  public void assertAllReach() throws IOException {
    for (int i = 1; i <= size(); i++) {
      for (int j = 1; j <= size(); j++) {
        if (i != j) {
          assertReaches(i, j);
        }
      }
    }
  }

  /** Asserts that container {@code i} reaches container {@code j} (ping, then TCP). */
  public void assertReaches(int i, int j) throws IOException {
    TestCluster.Container from = containers[i];
    TestCluster.Container to = containers[j];
    assertTrue(cluster.awaitPing(from.netns(), to.ip(), Duration.ofSeconds(10)), "ping " + from + " -> " + to);
    String msg = "hello from c" + i + " to c" + j;
    assertEquals(msg.toUpperCase(Locale.ROOT), cluster.tcpExchange(from.netns(), to.netns(), to.ip(), 7000 + 10 * i + j,
        msg), "TCP " + from + " -> " + to);
  }

  /** Runs {@code ip -n <host i> ARGS} (or another iproute2 tool) and returns stdout. */
  public String run(int host, String tool, String... args) throws IOException {
    return runIn(cluster.host(host).name(), tool, args);
  }

  /** Runs {@code TOOL -n <namespace> ARGS} (iproute2's {@code ip}, {@code bridge}) and returns stdout. */
  public static String runIn(String namespace, String tool, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(tool, "-n", namespace));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(cmd + " failed: " + err);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Runs an iproute2 command with {@code -j} output on host {@code i} and parses it. */
  public JsonArray json(int host, String tool, String... args) throws IOException {
    return jsonIn(cluster.host(host).name(), tool, args);
  }

  /** Runs an iproute2 command with {@code -j} output in {@code namespace} and parses it. */
  public static JsonArray jsonIn(String namespace, String tool, String... args) throws IOException {
    String out = runIn(namespace, tool, args).trim();
    if (out.isEmpty()) {
      return new JsonArray();
    }
    JsonElement e = JsonParser.parseString(out);
    return e.isJsonArray() ? e.getAsJsonArray() : new JsonArray();
  }

  /** Returns the IPv4 routes of host {@code i}'s main table ({@code ip -d -j route show}). */
  public List<JsonObject> routes(int host) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    json(host, "ip", "-4", "-d", "-j", "route", "show").forEach(e -> out.add(e.getAsJsonObject()));
    return out;
  }

  /** Returns the route to {@code dst} on host {@code i}, or null. */
  public JsonObject route(int host, String dst) throws IOException {
    for (JsonObject r : routes(host)) {
      if (r.get("dst").getAsString().equals(dst)) {
        return r;
      }
    }
    return null;
  }

  /** Polls {@code condition} until it holds, for up to {@code timeout}; fails with {@code what} if it stays false. */
  public static void await(String what, Duration timeout, ThrowingBooleanSupplier condition) throws Exception {
    Await.until(what, timeout, condition::getAsBoolean);
  }

  /** A condition that may throw. */
  @FunctionalInterface
  public interface ThrowingBooleanSupplier {
    boolean getAsBoolean() throws Exception;
  }

  /** Deletes a temporary directory tree; best effort. */
  public static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(root)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a leftover temporary directory is harmless
    }
  }

  @Override
  public void close() {
    for (int i = 1; i < agents.length; i++) {
      try {
        stopAgent(i);
      } catch (RuntimeException e) {
        // keep tearing down
      }
    }
    try {
      cluster.close();
    } finally {
      for (AutoCloseable c : owned) {
        try {
          c.close();
        } catch (Exception e) {
          // best effort, as for the agents: keep releasing the rest
        }
      }
    }
  }
}
