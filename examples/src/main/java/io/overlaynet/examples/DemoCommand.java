package io.overlaynet.examples;

import io.overlaynet.Lease;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentListener;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Netlink;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.traffic.TrafficManager;
import io.overlaynet.traffic.TrafficOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code overlay-agent demo}: a whole overlay on one machine. It builds N hosts as network
 * namespaces on one bridge (underlay 192.0.2.0/24), runs one agent per host in-process (with the
 * embedded in-memory store, or a real etcd), puts a container namespace behind each host at its
 * {@code FLANNEL_SUBNET}, pings across every pair, prints a table, and removes everything it made,
 * also on failure or Ctrl-C. The exit status is 0 only if every container reached every other.
 *
 * <p>Traffic stays inside the namespaces the demo creates.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Build N hosts in network namespaces, run an agent on each, ping across all containers.")
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--backend", defaultValue = "vxlan", description = "vxlan, host-gw or udp (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--hosts", defaultValue = "3", description = "number of hosts, 2..20 (default: ${DEFAULT-VALUE})")
  int hosts;

  @Option(names = "--network", defaultValue = "10.5.0.0/16", description = "the overlay network (default: ${DEFAULT-VALUE})")
  String network;

  @Option(names = "--etcd-endpoints", split = ",",
      description = "use this etcd instead of the embedded in-memory store")
  List<String> etcdEndpoints = new ArrayList<>();

  @Option(names = "--etcd-prefix", defaultValue = "/overlaynet-demo/network",
      description = "key prefix in etcd (default: ${DEFAULT-VALUE}, apart from a real flannel network)")
  String etcdPrefix;

  @Option(names = "--prefix", defaultValue = "ovldemo", description = "name prefix of the namespaces (default: ${DEFAULT-VALUE})")
  String prefix;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (hosts < 2 || hosts > 20) {
      System.err.println("demo: --hosts must be between 2 and 20, not " + hosts);
      return 2;
    }
    if (!List.of("vxlan", "host-gw", "udp").contains(backend)) {
      System.err.println("demo: unknown backend " + backend + " (vxlan, host-gw or udp)");
      return 2;
    }
    if (!prefix.matches("[A-Za-z0-9_.]{1,20}")) {
      System.err.println("demo: --prefix must be 1..20 letters, digits, '_' or '.', not " + prefix);
      return 2;
    }
    if (!Netlink.isAvailable()) {
      System.err.println("demo: netlink is unavailable: " + Netlink.unavailabilityCause().getMessage());
      return 1;
    }
    if (!"0".equals(readUid())) {
      System.err.println("demo: needs root (it creates network namespaces); run it with sudo");
      return 1;
    }
    Path work = Files.createTempDirectory("overlaynet-demo");
    List<Agent> agents = new ArrayList<>();
    TestCluster[] clusterRef = new TestCluster[1];
    Store[] storeRef = new Store[1];
    // Ctrl-C: the JVM runs this hook, and everything the demo made goes away.
    Thread cleanup = new Thread(() -> tearDown(agents, clusterRef[0], storeRef[0]), "overlaynet-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      out.printf("Building %d hosts (%s-h1..h%d) on bridge br0, underlay 192.0.2.0/24...%n", hosts, prefix, hosts);
      TestCluster cluster = TestCluster.builder().withHosts(hosts).withPrefix(prefix).build();
      clusterRef[0] = cluster;
      String storePrefix = etcdEndpoints.isEmpty() ? "/coreos.com/network" : etcdPrefix;
      Store store = etcdEndpoints.isEmpty() ? InMemoryStore.create()
          : EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(String.join(",", etcdEndpoints)));
      storeRef[0] = store;
      String config = "{\"Network\":\"" + network + "\",\"Backend\":{\"Type\":\"" + backend + "\"}}";
      store.put(storePrefix + "/config", config, Store.NO_TTL);
      out.printf("Network config at %s/config: %s%n", storePrefix, config);

      List<Lease> leases = new ArrayList<>();
      List<Set<Ip4Net>> peers = new ArrayList<>();
      for (TestCluster.Host h : cluster.hosts()) {
        Set<Ip4Net> known = ConcurrentHashMap.newKeySet();
        peers.add(known);
        AgentOptions opts = AgentOptions.DEFAULT.withInterfaces(List.of("eth0"))
            .withSubnetFile(work.resolve(h.name() + "/subnet.env")).withIpMasq(true);
        Agent agent = Agent.builder().store(store, storePrefix).options(opts)
            .threadFactory(h.netns().threadFactory())
            // iptables for this host's namespace, not the machine's.
            .trafficManager(o -> TrafficManager.iptables(TrafficOptions.DEFAULT.withResyncPeriod(o.resyncPeriod())
                .withCommandPrefix(List.of("ip", "netns", "exec", h.name()))))
            .listener(new AgentListener() {
              @Override
              public void onPeerAdded(Lease lease) {
                known.add(lease.subnet());
              }

              @Override
              public void onPeerRemoved(Lease lease) {
                known.remove(lease.subnet());
              }
            })
            .build();
        agents.add(agent);
        Lease lease = agent.start();
        leases.add(lease);
        out.printf("  %s: agent up, lease %s, subnet.env %s%n", h.name(), lease.subnet(),
            work.resolve(h.name() + "/subnet.env"));
      }
      List<TestCluster.Container> containers = new ArrayList<>();
      for (int i = 0; i < hosts; i++) {
        Lease l = leases.get(i);
        Ip4 bridge = l.subnet().address().plus(1);
        containers.add(cluster.addContainer(cluster.hosts().get(i), bridge + "/" + l.subnet().prefixLength(),
            l.subnet().address().plus(2)));
      }
      out.println("Pinging every container from every other...");
      int[] reached = new int[hosts];
      int pairs = 0;
      int ok = 0;
      for (int i = 0; i < hosts; i++) {
        for (int j = 0; j < hosts; j++) {
          if (i == j) {
            continue;
          }
          pairs++;
          if (cluster.awaitPing(containers.get(i).netns(), containers.get(j).ip(), Duration.ofSeconds(10))) {
            reached[i]++;
            ok++;
          } else {
            out.printf("  %s -> %s: UNREACHABLE%n", containers.get(i).name(), containers.get(j).ip());
          }
        }
      }
      out.println();
      out.printf("%-18s %-12s %-15s %-8s %-6s %s%n", "HOST", "PUBLIC IP", "SUBNET", "BACKEND", "PEERS", "REACHES");
      for (int i = 0; i < hosts; i++) {
        TestCluster.Host h = cluster.hosts().get(i);
        out.printf("%-18s %-12s %-15s %-8s %-6d %d/%d containers%n", h.name(), h.underlayIp(), leases.get(i).subnet(),
            backend, peers.get(i).size(), reached[i], hosts - 1);
      }
      out.println();
      boolean all = ok == pairs;
      out.printf("%s: %d of %d container pairs reachable over %s (%s store).%n", all ? "OK" : "FAILED", ok, pairs,
          backend, etcdEndpoints.isEmpty() ? "in-memory" : "etcd");
      return all ? 0 : 1;
    } finally {
      tearDown(agents, clusterRef[0], storeRef[0]);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // already shutting down: the hook runs (and finds nothing left to do)
      }
      deleteRecursively(work);
    }
  }

  private static synchronized void tearDown(List<Agent> agents, TestCluster cluster, Store store) {
    for (Agent a : agents) {
      a.close();
    }
    agents.clear();
    if (cluster != null) {
      cluster.close(); // deleting the namespaces removes every device, route and rule in them
    }
    if (store != null) {
      store.close();
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary directory: nothing to report
    }
  }

  private static String readUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1];
        }
      }
    } catch (java.io.IOException e) {
      return "?";
    }
    return "?";
  }
}
