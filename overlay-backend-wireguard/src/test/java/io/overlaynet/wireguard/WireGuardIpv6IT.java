package io.overlaynet.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.PeerStatus;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.testing.ClusterFixture;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.wireguard.internal.PrivateKey;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WireGuardGo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wireguard backend over IPv6 (issue 16): two of our nodes on an underlay with
 * {@code 192.0.2.1N/24} and {@code 2001:db8::1N/64}, in a dual-stack network in separate mode
 * ({@code flannel-wg} and {@code flannel-wg-v6}), an IPv6-only network (with a wireguard-go node
 * as a flannel node's {@code flannel-wg-v6}), and auto mode choosing the IPv6 underlay; devices,
 * and {@code ipv4} / {@code ipv6} modes with one device for both families; devices, addresses and
 * routes read back from the kernel, pings over each device.
 */
@Tag("privileged")
class WireGuardIpv6IT {

  static final String PREFIX = "/coreos.com/network";
  static final String DUAL = "\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"";
  /** IPv6-only; the subnets stop below fd00:5:0:c8::/64, the wireguard-go node's. */
  static final String V6_ONLY = "\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
      + "\"IPv6SubnetMax\":\"fd00:5:0:c7::\"";

  @TempDir
  Path dir;

  TestCluster cluster;
  final InMemoryStore store = InMemoryStore.create();
  final List<Agent> agents = new ArrayList<>();
  WireGuardGo wg;

  @BeforeEach
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    WireGuardGo.requireInstalled();
  }

  @AfterEach
  void tearDown() {
    agents.forEach(Agent::close);
    if (wg != null) {
      wg.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    store.close();
  }

  void cluster(int hosts, String config) throws IOException {
    cluster = TestCluster.builder().withHosts(hosts).withIpv6Underlay().withPrefix("ovwg6").build();
    store.put(PREFIX + "/config", "{" + config + "}", Store.NO_TTL);
  }

  /** Starts host {@code i}'s agent; its external interface has both addresses, publishing {@code publicIp}. */
  Lease startAgent(int i, Ip4 publicIp) throws Exception {
    TestCluster.Host h = cluster.host(i);
    Link eth0 = h.netlink().linkByName(h.underlayLink());
    Ip6 v6 = h.underlayIp6().orElseThrow();
    ExternalInterface ext = new ExternalInterface(eth0.name(), eth0.index(), 1500, h.underlayIp(), publicIp,
        Optional.of(v6), Optional.of(v6));
    Agent a = Agent.builder().store(store, PREFIX).backend(WireGuardBackend.withKeyFile(dir.resolve("h" + i + ".wgkey")))
        .externalInterface(ext).threadFactory(h.netns().threadFactory())
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("h" + i + ".env")))
        .build();
    agents.add(a);
    return a.start();
  }

  Lease startAgent(int i) throws Exception {
    return startAgent(i, cluster.host(i).underlayIp());
  }

  JsonArray ip(int host, String... args) throws IOException {
    return ClusterFixture.jsonIn(cluster.host(host).name(), "ip", args);
  }

  boolean hasLink(int host, String name) throws IOException {
    for (JsonElement l : ip(host, "-j", "link", "show")) {
      if (l.getAsJsonObject().get("ifname").getAsString().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** The device's MTU, its addresses ({@code addr/len}) and its routes' destinations, from the kernel. */
  String kernelView(int host, String dev) throws IOException {
    JsonObject link = ip(host, "-j", "addr", "show", "dev", dev).get(0).getAsJsonObject();
    List<String> addrs = new ArrayList<>();
    for (JsonElement a : link.getAsJsonArray("addr_info")) {
      JsonObject o = a.getAsJsonObject();
      if (!o.get("scope").getAsString().equals("link")) {
        addrs.add(o.get("local").getAsString() + "/" + o.get("prefixlen").getAsInt());
      }
    }
    List<String> routes = new ArrayList<>();
    for (String family : new String[] {"-4", "-6"}) {
      for (JsonElement r : ip(host, family, "-j", "route", "show", "dev", dev)) {
        JsonObject o = r.getAsJsonObject();
        // Not the kernel's own: fe80::/64 and the /128 address's prefix route ("proto kernel").
        if (!o.has("protocol") || !o.get("protocol").getAsString().equals("kernel")) {
          String dst = o.get("dst").getAsString();
          routes.add(dst);
        }
      }
    }
    return "mtu " + link.get("mtu").getAsInt() + " addrs " + addrs + " routes " + routes;
  }

  void assertPings(int from, IpAddress to) throws IOException {
    assertTrue(cluster.awaitPing(cluster.host(from).netns(), to, Duration.ofSeconds(10)),
        "h" + from + " -> " + to);
  }

  /** The agent's view of its peers: one line per device peer, e.g. {@code flannel-wg-v6 peer <key> endpoint ...}. */
  String peers(int agent) {
    return agents.get(agent).dataPlane().peers().stream().flatMap(p -> p.entries().stream())
        .filter(e -> e.kind().equals("peer")).map(e -> e.description()).collect(Collectors.joining("\n"));
  }

  static String key(Lease l, boolean v6) {
    String data = (v6 ? l.attrs().backendV6Data() : l.attrs().backendData()).orElseThrow();
    return JsonParser.parseString(data).getAsJsonObject().get("PublicKey").getAsString();
  }

  String stored(Lease l) {
    return store.get(PREFIX + "/subnets/" + l.key()).orElseThrow().value();
  }

  @Test
  void dualStackSeparateModeCarriesIpv4OnFlannelWgAndIpv6OnFlannelWgV6() throws Exception {
    cluster(2, DUAL + ",\"Backend\":{\"Type\":\"wireguard\"}");
    Lease l1 = startAgent(1);
    Lease l2 = startAgent(2);
    String k1 = key(l1, false);
    // flanneld's lease value: both families' data, ports 51820 and 51821.
    assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"wireguard\","
        + "\"BackendData\":{\"PublicKey\":\"" + k1 + "\",\"Port\":51820},"
        + "\"BackendV6Data\":{\"PublicKey\":\"" + k1 + "\",\"Port\":51821}}", stored(l1));
    for (int i = 1; i <= 2; i++) {
      Lease l = i == 1 ? l1 : l2;
      assertEquals("mtu 1420 addrs [" + l.subnet().address() + "/32] routes [10.5.0.0/16]",
          kernelView(i, "flannel-wg"));
      assertEquals("mtu 1420 addrs [" + l.ipv6Subnet().orElseThrow().address() + "/128] routes [fd00:5::/56]",
          kernelView(i, "flannel-wg-v6"));
    }
    assertPings(1, l2.subnet().address());
    assertPings(1, l2.ipv6Subnet().orElseThrow().address());
    assertPings(2, l1.ipv6Subnet().orElseThrow().address());
    String p = peers(0);
    assertTrue(p.contains("flannel-wg peer " + key(l2, false) + " endpoint 192.0.2.12:51820 allowed-ips "
        + l2.subnet()), p);
    assertTrue(p.contains("flannel-wg-v6 peer " + key(l2, true) + " endpoint [2001:db8::12]:51821 allowed-ips "
        + l2.ipv6Subnet().orElseThrow()), p);
    PeerStatus s = agents.get(0).dataPlane().peers().get(0);
    assertTrue(s.inSync(), "both sessions up: " + s);

    // Both devices go with the agent, as flanneld deletes them on shutdown.
    agents.remove(1).close();
    assertFalse(hasLink(2, "flannel-wg") || hasLink(2, "flannel-wg-v6"), "devices gone after the agent stopped");

    // Then h2's lease goes: its peers leave both of h1's devices (read from the devices: nothing stale).
    assertTrue(store.delete(PREFIX + "/subnets/" + l2.key()));
    ClusterFixture.await("h2's peers gone from h1", Duration.ofSeconds(5),
        () -> agents.get(0).dataPlane().peers().isEmpty());
    assertEquals(List.of(), agents.get(0).dataPlane().stale());
  }

  @Test
  void ipv6OnlyHasFlannelWgV6AloneAndReachesAWireGuardGoFlannelNode() throws Exception {
    cluster(3, V6_ONLY + ",\"Backend\":{\"Type\":\"wireguard\"}");
    Lease l1 = startAgent(1);
    Lease l2 = startAgent(2);
    // reference B12: PublicIP 0.0.0.0 and no BackendData without IPv4.
    assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"wireguard\","
        + "\"BackendV6Data\":{\"PublicKey\":\"" + key(l1, true) + "\",\"Port\":51821}}", stored(l1));
    assertFalse(hasLink(1, "flannel-wg"), "no flannel-wg without IPv4");
    assertEquals("mtu 1420 addrs [" + l1.ipv6Subnet().orElseThrow().address() + "/128] routes [fd00:5::/56]",
        kernelView(1, "flannel-wg-v6"));
    assertPings(1, l2.ipv6Subnet().orElseThrow().address());
    assertPings(2, l1.ipv6Subnet().orElseThrow().address());

    // h3: wireguard-go as a flanneld node's flannel-wg-v6 (port 51821, peers at [PublicIPv6]:51821).
    wg = WireGuardGo.start(cluster.host(3).netns(), dir);
    PrivateKey h3Key = PrivateKey.generate();
    wg.configure(h3Key, 51821, "fd00:5:0:c8::/128", "fd00:5::/56");
    for (Lease l : List.of(l1, l2)) {
      wg.addPeer(PublicKey.parse(key(l, true)), l.ipv6Subnet().orElseThrow().toString(),
          "[" + l.attrs().publicIpv6().orElseThrow() + "]:51821");
    }
    store.put(PREFIX + "/subnets/0.0.0.0-24&fd00:5:0:c8::-64", LeaseCodec.toJson(LeaseAttrs.of(Ip4.ANY)
        .withPublicIpv6(cluster.host(3).underlayIp6().orElseThrow()).withBackend("wireguard", null)
        .withBackendV6Data("{\"PublicKey\":\"" + h3Key.publicKey().toBase64() + "\",\"Port\":51821}")), Store.NO_TTL);
    Ip6 h3 = Ip6.parse("fd00:5:0:c8::");
    assertTrue(cluster.awaitPing(cluster.host(1).netns(), h3, Duration.ofSeconds(20)),
        "h1 -> the wireguard-go node over IPv6: " + wg.dump());
    assertPings(3, l2.ipv6Subnet().orElseThrow().address());
    assertTrue(wg.dump().contains("[2001:db8::12]:51821"), wg.dump());
  }

  @Test
  void autoModeTakesTheIpv6UnderlayWhenThePeersIpv4IsPrivate() throws Exception {
    cluster(2, DUAL + ",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"auto\"}");
    // Each node publishes a private IPv4 nobody can reach (unreachable here, so nothing leaves a
    // host for it): flannel's selectMode must pick the global IPv6 addresses.
    for (int i = 1; i <= 2; i++) {
      ClusterFixture.runIn(cluster.host(i).name(), "ip", "route", "add", "unreachable", "10.99.0.0/24");
    }
    Lease l1 = startAgent(1, Ip4.parse("10.99.0.11"));
    Lease l2 = startAgent(2, Ip4.parse("10.99.0.12"));
    assertFalse(hasLink(1, "flannel-wg-v6"), "one device in auto mode");
    assertEquals("mtu 1420 addrs [" + l1.subnet().address() + "/32, " + l1.ipv6Subnet().orElseThrow().address()
        + "/128] routes [10.5.0.0/16, fd00:5::/56]", kernelView(1, "flannel-wg"));
    String p = peers(0);
    assertTrue(p.contains("flannel-wg peer " + key(l2, true) + " endpoint [2001:db8::12]:51820 allowed-ips "
        + l2.subnet() + "," + l2.ipv6Subnet().orElseThrow()), p);
    // Both families through the one tunnel over IPv6.
    assertPings(1, l2.subnet().address());
    assertPings(1, l2.ipv6Subnet().orElseThrow().address());
    assertPings(2, l1.subnet().address());
    assertTrue(agents.get(0).dataPlane().peers().get(0).inSync(), agents.get(0).dataPlane().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ipv4", "ipv6"})
  void ipv4AndIpv6ModesCarryBothFamiliesOnFlannelWgOverTheirUnderlay(String mode) throws Exception {
    cluster(2, DUAL + ",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"" + mode + "\"}");
    Lease l1 = startAgent(1);
    Lease l2 = startAgent(2);
    assertFalse(hasLink(1, "flannel-wg-v6"), "one device in " + mode + " mode");
    assertEquals("mtu 1420 addrs [" + l2.subnet().address() + "/32, " + l2.ipv6Subnet().orElseThrow().address()
        + "/128] routes [10.5.0.0/16, fd00:5::/56]", kernelView(2, "flannel-wg"));
    // Public addresses of both families: the mode alone picks the endpoint.
    String endpoint = mode.equals("ipv4") ? "192.0.2.12:51820" : "[2001:db8::12]:51820";
    String p = peers(0);
    assertTrue(p.contains("flannel-wg peer " + key(l2, true) + " endpoint " + endpoint + " allowed-ips "
        + l2.subnet() + "," + l2.ipv6Subnet().orElseThrow()), p);
    assertPings(1, l2.subnet().address());
    assertPings(1, l2.ipv6Subnet().orElseThrow().address());
    assertPings(2, l1.ipv6Subnet().orElseThrow().address());
    assertTrue(agents.get(0).dataPlane().peers().get(0).inSync(), agents.get(0).dataPlane().toString());
  }
}
