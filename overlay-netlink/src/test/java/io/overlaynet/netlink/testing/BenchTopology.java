package io.overlaynet.netlink.testing;

import io.overlaynet.Backend;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Holds a 2-host topology with one agent per host and a container behind each, for
 * {@code scripts/bench-backends.sh}: prints {@code READY <key>=<value> ...} and keeps everything up
 * until standard input closes, then tears it down. Not a test; each backend module has a
 * {@code BenchTopology} main that calls {@link #run} with its backend.
 */
public final class BenchTopology {

  private BenchTopology() {}

  /**
   * Builds the topology named {@code args[0]} (namespaces {@code PREFIX-h1}, {@code PREFIX-h1-c1},
   * ...) with the network config {@code args[1]}, or {@code defaultConfig} without one, and holds it.
   *
   * @throws Exception if the topology cannot be built
   */
  public static void run(String[] args, String defaultConfig, Supplier<Backend> backend) throws Exception {
    if (args.length < 1) {
      throw new IllegalArgumentException("usage: BenchTopology PREFIX [CONFIG_JSON]");
    }
    String config = args.length > 1 ? args[1] : defaultConfig;
    Path dir = Files.createTempDirectory("bench-" + args[0]);
    try {
      hold(args[0], config, backend, dir);
    } finally {
      ClusterFixture.deleteRecursively(dir);
    }
  }

  private static void hold(String prefix, String config, Supplier<Backend> backend, Path dir) throws Exception {
    try (InMemoryStore store = InMemoryStore.create();
         ClusterFixture f = ClusterFixture.start(2, config, store, backend, dir, prefix)) {
      TestCluster.Container c1 = f.containers[1];
      TestCluster.Container c2 = f.containers[2];
      int mtu = f.agents[1].network().orElseThrow().mtu();
      System.out.println("READY h1=" + f.cluster.host(1).name() + " h2=" + f.cluster.host(2).name()
          + " h2ip=" + f.cluster.host(2).underlayIp() + " c1=" + c1.name() + " c2=" + c2.name() + " c2ip=" + c2.ip()
          + " mtu=" + mtu
          + f.cluster.host(2).underlayIp6().map(ip -> " h2ip6=" + ip).orElse("")
          + c2.ip6().map(ip -> " c2ip6=" + ip).orElse(""));
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for EOF: the script closes our standard input when it is done
      }
    }
  }
}
