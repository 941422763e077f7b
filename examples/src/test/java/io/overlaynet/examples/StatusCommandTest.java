package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.NetworkConfig;
import io.overlaynet.PeerStatus;
import io.overlaynet.RepairKind;
import io.overlaynet.TrafficStats;
import io.overlaynet.agent.AgentMetrics;
import io.overlaynet.agent.AgentState;
import io.overlaynet.agent.LatencyHistogram;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Route;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status table, the direct (no agent) comparison and the udp counters in /metrics, without a kernel. */
class StatusCommandTest {

  static final NetworkConfig CONFIG = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");

  static Lease lease(String subnet, String publicIp, String type) {
    return Lease.of(Ip4Net.parse(subnet), LeaseAttrs.of(Ip4.parse(publicIp)).withBackend(type, null));
  }

  static Route route(String dst, String gw, int dev, boolean onlink) {
    return Route.builder(IpNet.parse(dst)).withGateway(Ip4.parse(gw)).withLinkIndex(dev).withOnlink(onlink).build();
  }

  @Test
  void theDirectComparisonMarksMissingWrongAndStaleRoutesByBackendType() {
    List<Lease> leases = List.of(lease("10.5.1.0/24", "192.0.2.11", "vxlan"), lease("10.5.2.0/24", "192.0.2.12", "vxlan"),
        lease("10.5.3.0/24", "192.0.2.13", "vxlan"), lease("10.5.4.0/24", "192.0.2.14", "vxlan"),
        lease("10.5.5.0/24", "192.0.2.15", "host-gw"));
    List<Route> routes = List.of(
        route("10.5.2.0/24", "10.5.2.0", 3, true),       // as vxlan programs it
        route("10.5.4.0/24", "192.0.2.99", 2, false),    // through a gateway that is neither the VTEP nor the node
        route("10.5.9.0/24", "10.5.9.0", 3, true),       // no lease: stale
        route("10.5.8.0/24", "192.0.2.1", 2, false).toBuilder().withProtocol(186).build(), // a routing daemon's
        route("192.168.7.0/24", "192.0.2.1", 2, false)); // outside the Network: not ours
    KernelInspector.Result r = KernelInspector.inspect(CONFIG, leases, Optional.of("10.5.1.0-24"), routes,
        Map.of(2, "eth0", 3, "flannel.1"));
    assertEquals(4, r.peers().size(), "the own lease is not a peer");
    assertEquals(Drift.OK, r.peers().get(0).entries().get(0).drift());
    assertEquals("10.5.2.0/24 via 10.5.2.0 dev flannel.1 onlink", r.peers().get(0).entries().get(0).description());
    assertEquals(Drift.MISSING, r.peers().get(1).entries().get(0).drift());
    assertEquals(Drift.WRONG, r.peers().get(2).entries().get(0).drift());
    assertEquals(List.of(), r.peers().get(3).entries(), "a vxlan node programs nothing for a host-gw lease");
    assertEquals(List.of(new DataPlaneEntry("route", "10.5.9.0/24 via 10.5.9.0 dev flannel.1 onlink", Drift.STALE)),
        r.stale());
  }

  @Test
  void theTableShowsStateLeaseAndOneRowPerEntryWithDriftInCapitals() {
    JsonObject o = new JsonObject();
    o.addProperty("state", "DEGRADED");
    com.google.gson.JsonArray problems = new com.google.gson.JsonArray();
    problems.add("RENEWAL_FAILING");
    o.add("problems", problems);
    o.addProperty("reason", "lease renewal failing: etcd cannot be reached");
    o.addProperty("since", "2026-12-01T10:00:00Z");
    o.addProperty("backend", "vxlan");
    o.add("lease", StatusReport.lease(lease("10.5.1.0/24", "192.0.2.11", "vxlan")
        .withExpiration(Instant.parse("2026-12-02T10:00:00Z"))));
    PeerStatus ok = new PeerStatus(lease("10.5.2.0/24", "192.0.2.12", "vxlan"),
        List.of(DataPlaneEntry.ok("route", "10.5.2.0/24 via 10.5.2.0 dev flannel.1 onlink")), Optional.empty());
    PeerStatus broken = new PeerStatus(lease("10.5.3.0/24", "192.0.2.13", "vxlan"), List.of(
        new DataPlaneEntry("route", "10.5.3.0/24 via 10.5.3.0 dev flannel.1 onlink", Drift.MISSING),
        DataPlaneEntry.ok("fdb", "aa:bb:cc:dd:ee:ff dev flannel.1 dst 192.0.2.13 self permanent")), Optional.empty());
    StatusReport.addDataPlane(o, List.of(broken, ok), List.of());
    String t = StatusCommand.render(o, Instant.parse("2026-12-01T22:30:00Z"));
    assertTrue(t.contains("State:    DEGRADED [RENEWAL_FAILING] since 2026-12-01T10:00:00Z"), t);
    assertTrue(t.contains("Reason:   lease renewal failing: etcd cannot be reached"), t);
    assertTrue(t.contains("Lease:    10.5.1.0/24 (public IP 192.0.2.11), expires 2026-12-02T10:00:00Z (in 11h 30m)"), t);
    assertTrue(t.contains("Peers:    2, 1 drifted"), t);
    List<String> rows = t.lines().dropWhile(l -> !l.startsWith("SUBNET")).toList();
    assertEquals(4, rows.size(), t);
    assertTrue(rows.get(1).startsWith("10.5.2.0/24  192.0.2.12  vxlan  route 10.5.2.0/24") && rows.get(1).endsWith("ok"),
        "sorted by subnet:\n" + t);
    assertTrue(rows.get(2).startsWith("10.5.3.0/24") && rows.get(2).endsWith("MISSING"), t);
    assertTrue(rows.get(3).startsWith(" ") && rows.get(3).contains("fdb aa:bb:cc:dd:ee:ff"), t);
  }

  @Test
  void defaultsComeFromTheEnvironmentOverTheDefaultsFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("overlay-agent");
    Files.writeString(f, "# comment\nFLANNELD_HEALTHZ_PORT=\"9000\"\nFLANNELD_ETCD_PREFIX=/a\n");
    Map<String, String> m = StatusCommand.readDefaults(f);
    assertEquals(Map.of("FLANNELD_HEALTHZ_PORT", "9000", "FLANNELD_ETCD_PREFIX", "/a"), m);
    assertEquals(Map.of(), StatusCommand.readDefaults(dir.resolve("absent")));
  }

  @Test
  void udpCountersAndDropsByReasonAreInTheMetrics() throws Exception {
    LatencyHistogram none = new LatencyHistogram(List.of(Duration.ofMillis(1)), List.of(0L, 0L), 0, Duration.ZERO);
    AgentMetrics m = new AgentMetrics(Optional.empty(), 1, 2, 0, 0, 0, none, Map.of(RepairKind.ROUTE_RESTORED, 3L), 0, 4,
        Optional.of(new TrafficStats(10, 1000, 20, 2000, Map.of("no_route", 5L, "malformed", 7L))), 0, 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusMetrics.write(out, m, new AgentState(AgentState.Phase.READY, Set.of(), Optional.empty(), Instant.now()),
        "udp");
    String text = out.toString(StandardCharsets.UTF_8);
    for (String line : List.of("overlaynet_udp_drops_total{reason=\"malformed\"} 7.0",
        "overlaynet_udp_drops_total{reason=\"no_route\"} 5.0", "overlaynet_udp_packets_total{direction=\"rx\"} 20.0",
        "overlaynet_udp_bytes_total{direction=\"tx\"} 1000.0", "overlaynet_peers{backend=\"udp\"} 4.0",
        "overlaynet_lease_renewals_total{result=\"failed\"} 2.0", "overlaynet_repairs_total{kind=\"route_restored\"} 3.0")) {
      assertTrue(text.lines().anyMatch(line::equals), line + " missing in\n" + text);
    }
    assertTrue(text.lines().noneMatch(l -> l.startsWith("overlaynet_lease_expiry")), "no lease, no expiry");
  }
}
