package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.ClusterFixture;

import io.overlaynet.Backend;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Holds a 2-host topology with one agent per host and a container behind each, for
 * {@code scripts/bench-backends.sh}: prints {@code READY <key>=<value> ...} and keeps everything up
 * until standard input closes, then tears it down. Not a test; run by the script only.
 *
 * <pre>
 * java -cp ... io.overlaynet.vxlan.BenchTopology PREFIX [CONFIG_JSON]
 * </pre>
 */
public final class BenchTopology {

  private BenchTopology() {}

  /**
   * Builds the topology named {@code args[0]} (namespaces {@code PREFIX-h1}, {@code PREFIX-h1-c1}, ...).
   *
   * @throws Exception if the topology cannot be built
   */
  public static void main(String[] args) throws Exception {
    String config = args.length > 1 ? args[1]
        : "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
    run(args[0], config, VxlanBackend::create);
  }

  static void run(String prefix, String config, Supplier<Backend> backend) throws Exception {
    Path dir = Files.createTempDirectory("bench-" + prefix);
    try {
      hold(prefix, config, backend, dir);
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
          + " mtu=" + mtu);
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for EOF: the script closes our standard input when it is done
      }
    }
  }
}
