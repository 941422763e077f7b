package io.overlaynet.examples;

import io.overlaynet.Lease;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentListener;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.netlink.Netlink;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.wireguard.WireGuardBackend;
import io.overlaynet.traffic.TrafficListener;
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

  @Option(names = "--backend", defaultValue = "vxlan",
      description = "vxlan, host-gw, udp or wireguard (default: ${DEFAULT-VALUE})")
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

  @Option(names = "--dual-stack", description = "IPv4 and IPv6: an IPv6 underlay (2001:db8::/64) too, and pings over both")
  boolean dualStack;

  @Option(names = "--ipv6-only", description = "IPv6 only (\"EnableIPv4\": false): pings over IPv6")
  boolean ipv6Only;

  @Option(names = "--nftables",
      description = "\"EnableNFTables\": true: the agents write flannel's nftables tables instead of iptables chains")
  boolean nftables;

  @Option(names = "--ipv6-network", defaultValue = "fd00:5::/56",
      description = "the IPv6 overlay network with --dual-stack or --ipv6-only (default: ${DEFAULT-VALUE})")
  String ipv6Network;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (hosts < 2 || hosts > 20) {
      System.err.println("demo: --hosts must be between 2 and 20, not " + hosts);
      return 2;
    }
    if (!List.of("vxlan", "host-gw", "udp", "wireguard").contains(backend)) {
      System.err.println("demo: unknown backend " + backend + " (vxlan, host-gw, udp or wireguard)");
      return 2;
    }
    if (dualStack && ipv6Only) {
      System.err.println("demo: --dual-stack and --ipv6-only exclude each other");
      return 2;
    }
    if ((dualStack || ipv6Only) && backend.equals("udp")) {
      System.err.println("demo: the udp backend carries IPv4 only, as flannel's: use vxlan, host-gw or wireguard with "
          + (dualStack ? "--dual-stack" : "--ipv6-only"));
      return 2;
    }
    boolean v4 = !ipv6Only;
    boolean v6 = dualStack || ipv6Only;
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
      out.printf("Building %d hosts (%s-h1..h%d) on bridge br0, underlay 192.0.2.0/24%s...%n", hosts, prefix, hosts,
          v6 ? " and 2001:db8::/64" : "");
      TestCluster.Builder cb = TestCluster.builder().withHosts(hosts).withPrefix(prefix);
      TestCluster cluster = (v6 ? cb.withIpv6Underlay() : cb).build();
      clusterRef[0] = cluster;
      String storePrefix = etcdEndpoints.isEmpty() ? "/coreos.com/network" : etcdPrefix;
      Store store = etcdEndpoints.isEmpty() ? InMemoryStore.create()
          : EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(String.join(",", etcdEndpoints)));
      storeRef[0] = store;
      String families = (v4 ? "\"Network\":\"" + network + "\"," : "\"EnableIPv4\":false,")
          + (v6 ? "\"EnableIPv6\":true,\"IPv6Network\":\"" + ipv6Network + "\"," : "");
      String config = "{" + families + (nftables ? "\"EnableNFTables\":true," : "")
          + "\"Backend\":{\"Type\":\"" + backend + "\"}}";
      store.put(storePrefix + "/config", config, Store.NO_TTL);
      out.printf("Network config at %s/config: %s%n", storePrefix, config);

      List<Lease> leases = new ArrayList<>();
      List<Set<String>> peers = new ArrayList<>();
      for (TestCluster.Host h : cluster.hosts()) {
        Set<String> known = ConcurrentHashMap.newKeySet();
        peers.add(known);
        AgentOptions opts = AgentOptions.DEFAULT.withInterfaces(List.of("eth0"))
            .withSubnetFile(work.resolve(h.name() + "/subnet.env")).withIpMasq(true);
        Agent.Builder ab = Agent.builder().store(store, storePrefix).options(opts);
        if (backend.equals("wireguard")) {
          // One key per host: in one JVM, flannel's /run/flannel/wgkey would give every host the same.
          ab.backend(WireGuardBackend.withKeyFile(work.resolve(h.name() + "/wgkey")));
        }
        Agent agent = ab
            .threadFactory(h.netns().threadFactory())
            // iptables or nft for this host's namespace, not the machine's.
            .trafficManager((o, mode) -> TrafficManager.create(mode, TrafficOptions.DEFAULT
                .withResyncPeriod(o.resyncPeriod()).withCommandPrefix(List.of("ip", "netns", "exec", h.name())),
                TrafficListener.NONE))
            .listener(new AgentListener() {
              @Override
              public void onPeerAdded(Lease lease) {
                known.add(lease.key());
              }

              @Override
              public void onPeerRemoved(Lease lease) {
                known.remove(lease.key());
              }
            })
            .build();
        agents.add(agent);
        Lease lease = agent.start();
        leases.add(lease);
        out.printf("  %s: agent up, lease %s, subnet.env %s%n", h.name(), lease.subnetsText(),
            work.resolve(h.name() + "/subnet.env"));
      }
      List<TestCluster.Container> containers = new ArrayList<>();
      for (int i = 0; i < hosts; i++) {
        Lease l = leases.get(i);
        Ip6Net s6 = l.ipv6Subnet().orElse(null);
        containers.add(cluster.addContainer(cluster.hosts().get(i),
            v4 ? l.subnet().address().plus(1) + "/" + l.subnet().prefixLength() : null,
            v4 ? l.subnet().address().plus(2) : null,
            s6 != null ? s6.address().plus(1) + "/" + s6.prefixLength() : null,
            s6 != null ? s6.address().plus(2) : null));
      }
      List<String> familyNames = new ArrayList<>();
      if (v4) {
        familyNames.add("IPv4");
      }
      if (v6) {
        familyNames.add("IPv6");
      }
      out.println("Pinging every container from every other" + (v6 ? " over " + String.join(" and ", familyNames) : "")
          + "...");
      int[][] reached = new int[hosts][familyNames.size()];
      int pairs = 0;
      int ok = 0;
      for (int i = 0; i < hosts; i++) {
        for (int j = 0; j < hosts; j++) {
          if (i == j) {
            continue;
          }
          for (int f = 0; f < familyNames.size(); f++) {
            TestCluster.Container to = containers.get(j);
            IpAddress dst = familyNames.get(f).equals("IPv4") ? to.ip() : to.ip6().orElseThrow();
            pairs++;
            if (cluster.awaitPing(containers.get(i).netns(), dst, Duration.ofSeconds(10))) {
              reached[i][f]++;
              ok++;
            } else {
              out.printf("  %s -> %s: UNREACHABLE%n", containers.get(i).name(), dst);
            }
          }
        }
      }
      out.println();
      int ipWidth = v6 ? 28 : 12;
      int subnetWidth = v4 && v6 ? 38 : v6 ? 22 : 15;
      String row = "%-18s %-" + ipWidth + "s %-" + subnetWidth + "s %-9s %-6s %s%n";
      out.printf(row, "HOST", "PUBLIC IP", "SUBNET", "BACKEND", "PEERS", "REACHES");
      for (int i = 0; i < hosts; i++) {
        TestCluster.Host h = cluster.hosts().get(i);
        String pub = (v4 ? h.underlayIp().toString() : "") + (v4 && v6 ? " " : "")
            + (v6 ? h.underlayIp6().orElseThrow().toString() : "");
        List<String> reach = new ArrayList<>();
        for (int f = 0; f < familyNames.size(); f++) {
          reach.add(reached[i][f] + "/" + (hosts - 1) + (v6 ? " " + familyNames.get(f) : ""));
        }
        out.printf(row, h.name(), pub, leases.get(i).subnetsText(), backend, String.valueOf(peers.get(i).size()),
            String.join(", ", reach) + " containers");
      }
      out.println();
      boolean all = ok == pairs;
      out.printf("%s: %d of %d container pairs reachable over %s%s (%s store).%n", all ? "OK" : "FAILED", ok, pairs,
          backend, v6 ? ", " + String.join(" and ", familyNames) : "", etcdEndpoints.isEmpty() ? "in-memory" : "etcd");
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
