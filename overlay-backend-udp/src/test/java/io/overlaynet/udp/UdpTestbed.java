package io.overlaynet.udp;

import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A namespace cluster running the udp backend: {@code hosts} hosts on the underlay
 * 192.0.2.0/24, an agent (in-process, in-memory store) on the first {@code agents} of them, and
 * one container per agent host at {@code <lease subnet>.2} behind {@code cbr0}. Hosts beyond
 * the agents stand on the underlay with no agent (e.g. a rogue sender). Shared by the kernel
 * tests and the benchmark.
 */
final class UdpTestbed implements AutoCloseable {

  static final String PREFIX = "/coreos.com/network";
  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}";

  final TestCluster cluster;
  final InMemoryStore store = InMemoryStore.create();
  final List<Agent> agents = new ArrayList<>();
  final List<Lease> leases = new ArrayList<>();
  final List<TestCluster.Container> containers = new ArrayList<>();
  private final Path tmp;

  private UdpTestbed(TestCluster cluster) throws IOException {
    this.cluster = cluster;
    this.tmp = Files.createTempDirectory("overlaynet-udp");
  }

  static UdpTestbed start(String prefix, int hosts, int agentHosts, UdpOptions options) throws Exception {
    return start(prefix, hosts, java.util.Collections.nCopies(agentHosts, options));
  }

  /** As {@link #start(String, int, int, UdpOptions)}, with the options of each agent host (host i+1 gets element i). */
  static UdpTestbed start(String prefix, int hosts, List<UdpOptions> perAgent) throws Exception {
    int agentHosts = perAgent.size();
    // A random suffix: other runs (CI, other engineers' tests) may use the same label concurrently.
    String unique = prefix + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffL);
    TestCluster c = TestCluster.builder().withPrefix(unique).withHosts(hosts).build();
    UdpTestbed bed;
    try {
      bed = new UdpTestbed(c);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    try {
      bed.store.put(PREFIX + "/config", CONFIG, Store.NO_TTL);
      for (int i = 1; i <= agentHosts; i++) {
        bed.startAgent(c.host(i), perAgent.get(i - 1));
      }
      for (int i = 1; i <= agentHosts; i++) {
        Lease l = bed.leases.get(i - 1);
        Ip4 base = l.subnet().address();
        bed.containers.add(c.addContainer(c.host(i), base.plus(1) + "/" + l.subnet().prefixLength(), base.plus(2)));
      }
      return bed;
    } catch (Exception | Error e) {
      bed.close();
      throw e;
    }
  }

  private void startAgent(TestCluster.Host host, UdpOptions options) throws Exception {
    int index = host.netlink().linkByName("eth0").index();
    Agent agent = Agent.builder()
        .store(store, PREFIX)
        .backend(UdpBackend.create(options))
        .externalInterface(ExternalInterface.ipv4("eth0", index, 1500, host.underlayIp()))
        .threadFactory(inNamespace(host.netns()))
        .options(AgentOptions.DEFAULT.withForwardRules(false)
            .withSubnetFile(tmp.resolve(host.name()).resolve("subnet.env")))
        .build();
    agents.add(agent);
    leases.add(agent.start());
  }

  /** A factory whose threads run their task on a thread inside {@code ns}. */
  static ThreadFactory inNamespace(NetNs ns) {
    return r -> new Thread(() -> {
      try {
        ns.run(() -> {
          r.run();
          return null;
        });
      } catch (Exception e) {
        throw new IllegalStateException("cannot enter " + ns, e);
      }
    });
  }

  /**
   * Drops of carried packets: all but TUN_MALFORMED, which counts the IPv6 router solicitations
   * and MLD reports the kernel itself sends on flannel0 now and then (not IPv4, as with flanneld).
   * When they come is the kernel's timing, so a long transfer on a loaded machine sees more of them.
   */
  static long carriedDrops(UdpStats s) {
    return s.totalDrops() - s.drops(DropReason.TUN_MALFORMED);
  }

  UdpNetwork network(int host) {
    return (UdpNetwork) agents.get(host - 1).network().orElseThrow();
  }

  TestCluster.Host host(int n) {
    return cluster.host(n);
  }

  TestCluster.Container container(int host) {
    return containers.get(host - 1);
  }

  /** Runs {@code cmd} in namespace {@code ns} and returns its combined output (bounded by 30 s). */
  static String run(String ns, String... cmd) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /**
   * Sends {@code bytes} random bytes over TCP from container {@code from} to a listener in
   * {@code to} and returns whether the receiver's SHA-256 matches the sender's: bulk traffic,
   * so the kernel hands the backend full-size segments (and TSO super-packets with offload).
   */
  boolean bulkTransfer(TestCluster.Container from, TestCluster.Container to, int port, int bytes) throws Exception {
    return cluster.bulkTransfer(from.netns(), to.netns(), to.ip(), port, bytes);
  }

  @Override
  public void close() {
    for (int i = agents.size() - 1; i >= 0; i--) {
      agents.get(i).close();
    }
    try {
      cluster.close();
    } finally {
      store.close();
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temp dir left behind is harmless
      }
    }
  }
}
