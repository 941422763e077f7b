package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.testing.Prerequisites;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's main job: the demo, for each backend; its exit status reflects reachability. */
@Tag("privileged")
class DemoIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  static String demo(int expectedStatus, String... args) throws Exception {
    Prerequisites.requireRoot();
    PrintStream saved = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = OverlayAgent.commandLine(Map.of()).execute(args);
    } finally {
      System.setOut(saved);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    saved.print(out);
    assertEquals(expectedStatus, rc, out);
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"vxlan", "host-gw", "udp", "wireguard"})
  void everyContainerReachesEveryOther(String backend) throws Exception {
    String prefix = "ovldit" + backend.replace("-", "");
    String out = demo(0, "demo", "--backend", backend, "--hosts", "3", "--prefix", prefix);
    assertTrue(out.contains("OK: 6 of 6 container pairs reachable over " + backend), out);
    java.util.List<String> rows = out.lines().filter(l -> l.startsWith(prefix + "-h")).toList();
    assertEquals(3, rows.size(), out);
    assertTrue(rows.stream().allMatch(l -> l.matches(".*\\s2\\s+2/2 containers")),
        "every host knows 2 peers and reaches 2 containers: " + out);
    assertTrue(NetNs.list().stream().noneMatch(n -> n.startsWith(prefix)), "the demo left namespaces behind");
  }

  /** Issue 14: both families, and IPv6 only, through the agent's own interface choice. */
  @ParameterizedTest
  @ValueSource(strings = {"vxlan", "host-gw", "wireguard"})
  void dualStackAndIpv6Only(String backend) throws Exception {
    String p = "ovldit6" + backend.charAt(0);
    String dual = demo(0, "demo", "--backend", backend, "--hosts", "3", "--prefix", p + "d", "--dual-stack");
    assertTrue(dual.contains("OK: 12 of 12 container pairs reachable over " + backend + ", IPv4 and IPv6"), dual);
    assertTrue(dual.lines().filter(l -> l.startsWith(p + "d-h")).allMatch(l -> l.endsWith("2/2 IPv4, 2/2 IPv6 containers")),
        dual);
    String only = demo(0, "demo", "--backend", backend, "--hosts", "2", "--prefix", p + "o", "--ipv6-only");
    assertTrue(only.contains("OK: 2 of 2 container pairs reachable over " + backend + ", IPv6"), only);
  }

  /** Issue 17: the agents in nftables mode; the masquerade and forward rules are nft's. */
  @Test
  void nftablesMode() throws Exception {
    String out = demo(0, "demo", "--backend", "host-gw", "--hosts", "2", "--prefix", "ovlditnft", "--nftables");
    assertTrue(out.contains("\"EnableNFTables\":true"), out);
    assertTrue(out.contains("OK: 2 of 2 container pairs reachable over host-gw"), out);
  }

  @Test
  void udpRefusesIpv6() throws Exception {
    demo(2, "demo", "--backend", "udp", "--ipv6-only");
    demo(2, "demo", "--backend", "udp", "--dual-stack");
  }

  @Test
  void withARealEtcd() throws Exception {
    // etcd listens on loopback of the root namespace, which the hosts cannot reach; the agents
    // run in-process here, so the store client lives in the JVM's namespace and works.
    String out = demo(0, "demo", "--backend", "vxlan", "--hosts", "2", "--prefix", "ovlditetcd",
        "--etcd-endpoints", ETCD.options().endpoints().get(0).toString());
    assertTrue(out.contains("OK: 2 of 2 container pairs reachable over vxlan (etcd store)"), out);
  }
}
