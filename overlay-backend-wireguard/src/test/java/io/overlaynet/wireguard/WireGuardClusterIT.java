package io.overlaynet.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.wireguard.internal.PrivateKey;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WireGuardGo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wireguard backend as flannel nodes use it (issue 16): agents on h1 and h2 with our backend,
 * and h3 a "flannel node" whose WireGuard is wireguard-go, configured from the store's leases as
 * flannel's backend would (its key, port 51820, a peer per lease) and with its own lease in the
 * store. Everyone reaches everyone over flannel-wg; the key file is flannel's; the device goes
 * with the agent.
 */
@Tag("privileged")
class WireGuardClusterIT {

  static final String PREFIX = "/coreos.com/network";

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
    cluster = TestCluster.builder().withHosts(3).withPrefix("ovwgc").build();
    store.put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\"}}", Store.NO_TTL);
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

  Lease startAgent(int host) throws Exception {
    TestCluster.Host h = cluster.host(host);
    int index = h.netlink().linkByName("eth0").index();
    Agent a = Agent.builder().store(store, PREFIX).backend(WireGuardBackend.withKeyFile(dir.resolve("h" + host + ".wgkey")))
        .externalInterface(ExternalInterface.ipv4("eth0", index, 1500, h.underlayIp()))
        .threadFactory(h.netns().threadFactory())
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("h" + host + ".env")))
        .build();
    agents.add(a);
    return a.start();
  }

  String run(String ns, String... cmd) throws Exception {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return p.exitValue() + ":" + out;
  }

  boolean ping(int from, Ip4 to) throws Exception {
    return run(cluster.host(from).name(), "ping", "-c", "2", "-i", "0.2", "-W", "5", to.toString()).startsWith("0:");
  }

  static String publicKeyOf(Lease l) {
    return JsonParser.parseString(l.attrs().backendData().orElseThrow()).getAsJsonObject().get("PublicKey").getAsString();
  }

  @Test
  void ourNodesAndAWireGuardGoNodeReachEachOtherOverFlannelWg() throws Exception {
    Lease l1 = startAgent(1);
    Lease l2 = startAgent(2);
    // flannel's key file: base64, mode 0400; the lease publishes its public key and port.
    assertEquals(Set.of(PosixFilePermission.OWNER_READ), Files.getPosixFilePermissions(dir.resolve("h1.wgkey")));
    assertEquals(51820, JsonParser.parseString(l1.attrs().backendData().orElseThrow()).getAsJsonObject()
        .get("Port").getAsInt());
    String dev = run(cluster.host(1).name(), "ip", "-d", "link", "show", "flannel-wg");
    assertTrue(dev.startsWith("0:") && dev.contains("mtu 1420"), dev);
    assertTrue(ping(1, l2.subnet().address()), "h1 -> h2 over our WireGuard");
    // The agent's view: h2's peer and its session, and the device's drop counters in the metrics.
    io.overlaynet.PeerStatus p2 = agents.get(0).dataPlane().peers().get(0);
    assertEquals(l2.key(), p2.lease().key());
    assertTrue(p2.inSync(), p2.toString());
    assertTrue(p2.entries().get(0).description().contains(publicKeyOf(l2)), p2.toString());
    assertEquals(0L, agents.get(0).metrics().traffic().orElseThrow().drops().get("bad_transport"));
    io.overlaynet.TrafficStats t = agents.get(0).metrics().traffic().orElseThrow();
    assertTrue(t.txPackets() > 0 && t.rxPackets() > 0 && t.txBytes() > 0 && t.rxBytes() > 0, t.toString());

    // h3: wireguard-go as a flannel node's WireGuard, with its lease in the store.
    wg = WireGuardGo.start(cluster.host(3).netns(), dir);
    PrivateKey h3Key = PrivateKey.generate();
    String h3Public = h3Key.publicKey().toBase64();
    wg.configure(h3Key, 51820, "10.5.200.0/32", "10.5.0.0/16");
    for (Lease l : List.of(l1, l2)) {
      wg.addPeer(PublicKey.parse(publicKeyOf(l)), l.subnet().toString(), l.attrs().publicIp() + ":51820");
    }
    store.put(PREFIX + "/subnets/10.5.200.0-24", LeaseCodec.toJson(LeaseAttrs.of(cluster.host(3).underlayIp())
        .withBackend("wireguard", "{\"PublicKey\":\"" + h3Public + "\",\"Port\":51820}")), Store.NO_TTL);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!ping(1, Ip4.parse("10.5.200.0"))) {
      assertTrue(System.nanoTime() < deadline, "h1 cannot reach the wireguard-go node: " + wg.dump());
    }
    assertTrue(ping(3, l2.subnet().address()), "wireguard-go -> h2");
    assertTrue(ping(2, Ip4.parse("10.5.200.0")), "h2 -> wireguard-go");

    // The device goes with the agent, as flanneld deletes its WireGuard devices on shutdown.
    agents.remove(1).close();
    assertFalse(run(cluster.host(2).name(), "ip", "link", "show", "flannel-wg").startsWith("0:"),
        "flannel-wg is gone after the agent stopped");
  }

  /** wireguard-go on h3 as a flannel node: key {@code key}, a peer per lease of ours, its lease in the store. */
  WireGuardGo startWireGuardGoNode(PrivateKey key, List<Lease> ours) throws Exception {
    WireGuardGo node = WireGuardGo.start(cluster.host(3).netns(), dir);
    node.configure(key, 51820, "10.5.200.0/32", "10.5.0.0/16");
    for (Lease l : ours) {
      node.addPeer(PublicKey.parse(publicKeyOf(l)), l.subnet().toString(), l.attrs().publicIp() + ":51820");
    }
    store.put(PREFIX + "/subnets/10.5.200.0-24", LeaseCodec.toJson(LeaseAttrs.of(cluster.host(3).underlayIp())
        .withBackend("wireguard", "{\"PublicKey\":\"" + key.publicKey().toBase64() + "\",\"Port\":51820}")),
        Store.NO_TTL);
    return node;
  }

  void awaitPing(int from, Ip4 to, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!run(cluster.host(from).name(), "ping", "-c", "1", "-W", "1", to.toString()).startsWith("0:")) {
      assertTrue(System.nanoTime() < deadline, what + ": " + wg.dump());
    }
  }

  @Test
  void aWireGuardGoNodeThatRestartsWithANewKeyAndLeaseIsReachedAgain() throws Exception {
    Lease l1 = startAgent(1);
    wg = startWireGuardGoNode(PrivateKey.generate(), List.of(l1));
    awaitPing(1, Ip4.parse("10.5.200.0"), "h1 -> the wireguard-go node");

    // The node restarts with a fresh key and republishes its lease (same subnet, new PublicKey).
    wg.close();
    PrivateKey fresh = PrivateKey.generate();
    wg = startWireGuardGoNode(fresh, List.of(l1));
    awaitPing(1, Ip4.parse("10.5.200.0"), "h1 -> the restarted node, from its new lease");
    assertTrue(ping(3, l1.subnet().address()), "the restarted node -> h1");
    io.overlaynet.PeerStatus p3 = agents.get(0).dataPlane().peers().get(0);
    assertTrue(p3.entries().get(0).description().contains(fresh.publicKey().toBase64()), p3.toString());
    assertTrue(p3.inSync(), p3.toString());
  }
}
