package io.overlaynet.vxlan;

/**
 * The vxlan topology of {@code scripts/bench-backends.sh}: see
 * {@link io.overlaynet.netlink.testing.BenchTopology}. Not a test; run by the script only.
 *
 * <pre>
 * java -cp ... io.overlaynet.vxlan.BenchTopology PREFIX [CONFIG_JSON]
 * </pre>
 */
public final class BenchTopology {

  private BenchTopology() {}

  /**
   * Builds and holds the topology named {@code args[0]}.
   *
   * @throws Exception if the topology cannot be built
   */
  public static void main(String[] args) throws Exception {
    io.overlaynet.netlink.testing.BenchTopology.run(args,
        "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}", VxlanBackend::create);
  }
}
