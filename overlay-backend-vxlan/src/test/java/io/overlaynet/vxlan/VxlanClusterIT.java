package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.ClusterFixture;

import static io.overlaynet.netlink.testing.ClusterFixture.PREFIX;
import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Netlink;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.testing.SharedFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three hosts running the vxlan backend over a shared in-memory store, each with a container:
 * reachability, flannel's exact kernel objects (checked with iproute2's JSON output), lease
 * removal, agent restarts, a hand-written flanneld lease, and recovery from outside deletions.
 * The tests share one cluster and run in order; after a failed test the cluster is built again
 * ({@link SharedFixture}), so each test fails only for its own reason, never for what a failed
 * one left behind.
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VxlanClusterIT {

  static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"vxlan\"}}";

  @RegisterExtension
  final SharedFixture<ClusterFixture> cluster = new SharedFixture<>(() -> ClusterFixture.startInMemory(3, CONFIG,
      () -> VxlanBackend.create(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofSeconds(1)))));

  private Store store;
  private ClusterFixture f;

  static void requirePrerequisites() {
    Prerequisites.requireRoot();
    Prerequisites.require(Netlink.vxlan().isAvailable(), "vxlan links",
        "a kernel with the vxlan module (modprobe vxlan): " + Netlink.vxlan().unavailabilityCause());
    for (String tool : List.of("ip", "bridge", "ping")) {
      Prerequisites.require(onPath(tool), "the " + tool + " command", "apt-get install iproute2 iputils-ping");
    }
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  @BeforeAll
  void prerequisites() {
    requirePrerequisites();
  }

  @BeforeEach
  void currentCluster() {
    f = cluster.get();
    store = f.store;
  }

  static String mac(Lease l) {
    return VtepData.parse(l.attrs().backendData().orElseThrow()).vtepMac().toString();
  }

  /** Checks host {@code i}'s flannel.1 and its entries for every other host against flanneld's (reference B2). */
  static void assertFlannelObjects(ClusterFixture f, int i) throws Exception {
    Lease own = f.leases[i];
    JsonObject link = f.json(i, "ip", "-d", "-j", "link", "show", "flannel.1").get(0).getAsJsonObject();
    assertEquals(1450, link.get("mtu").getAsInt());
    assertTrue(!link.has("txqlen") || link.get("txqlen").getAsInt() == 0, "txqlen 0, as flanneld's: " + link);
    assertEquals(mac(own), link.get("address").getAsString(), "the lease publishes the device's MAC");
    assertTrue(link.getAsJsonArray("flags").toString().contains("\"UP\""));
    JsonObject info = link.getAsJsonObject("linkinfo");
    assertEquals("vxlan", info.get("info_kind").getAsString());
    JsonObject data = info.getAsJsonObject("info_data");
    assertEquals(1, data.get("id").getAsInt());
    assertEquals(f.cluster.host(i).underlayIp().toString(), data.get("local").getAsString());
    assertEquals("eth0", data.get("link").getAsString());
    assertEquals(8472, data.get("port").getAsInt());
    assertEquals(false, data.get("learning").getAsBoolean());
    assertTrue(!data.has("group") && !data.has("remote"), "no group or remote: " + data);
    assertTrue(!data.has("l2miss") && !data.has("l3miss") && !data.has("gbp"), data.toString());

    JsonArray addrs = f.json(i, "ip", "-4", "-j", "addr", "show", "dev", "flannel.1").get(0).getAsJsonObject()
        .getAsJsonArray("addr_info");
    assertEquals(1, addrs.size(), addrs.toString());
    assertEquals(own.subnet().address().toString(), addrs.get(0).getAsJsonObject().get("local").getAsString());
    assertEquals(32, addrs.get(0).getAsJsonObject().get("prefixlen").getAsInt());

    List<JsonObject> viaFlannel = new ArrayList<>();
    for (JsonObject r : f.routes(i)) {
      if (r.has("dev") && r.get("dev").getAsString().equals("flannel.1")) {
        viaFlannel.add(r);
      }
    }
    JsonArray neigh = f.json(i, "ip", "-j", "neigh", "show", "dev", "flannel.1");
    JsonArray fdb = f.json(i, "bridge", "-j", "fdb", "show", "dev", "flannel.1");
    int peers = 0;
    for (int j = 1; j <= f.size(); j++) {
      if (j == i || f.leases[j] == null) {
        continue;
      }
      peers++;
      Lease p = f.leases[j];
      String vtep = p.subnet().address().toString();
      assertPeerEntries(f.route(i, p.subnet().toString()), neigh, fdb, "flannel.1", p.subnet().toString(), vtep,
          mac(p), p.attrs().publicIp().toString());
    }
    assertEquals(peers, viaFlannel.size(), "exactly one route per peer: " + viaFlannel);
    assertEquals(peers, neigh.size(), neigh.toString());
    assertEquals(peers, fdb.size(), fdb.toString());
  }

  /**
   * Checks one peer's route, neighbour and FDB entry on {@code dev} (reference B2, B10):
   * {@code <subnet> via <vtep> dev <dev> onlink} (unicast, proto boot, scope global),
   * {@code <vtep> dev <dev> lladdr <mac> PERMANENT} and {@code <mac> dev <dev> dst <publicIp> self permanent}.
   */
  static void assertPeerEntries(JsonObject route, JsonArray neigh, JsonArray fdb, String dev, String subnet,
      String vtep, String mac, String publicIp) {
    assertTrue(route != null, "no route to " + subnet);
    assertEquals(vtep, route.get("gateway").getAsString());
    assertEquals(dev, route.get("dev").getAsString());
    assertEquals("[\"onlink\"]", route.getAsJsonArray("flags").toString());
    assertEquals("unicast", route.get("type").getAsString());
    assertEquals("boot", route.get("protocol").getAsString());
    assertEquals("global", route.get("scope").getAsString());
    assertTrue(contains(neigh, "dst", vtep, "lladdr", mac, "state", "[\"PERMANENT\"]"), neigh.toString());
    assertTrue(contains(fdb, "mac", mac, "dst", publicIp, "flags", "[\"self\"]", "state", "permanent"),
        fdb.toString());
  }

  /** Returns whether some object in {@code arr} has every given field (strings, or JSON text for arrays). */
  static boolean contains(JsonArray arr, String... kv) {
    for (JsonElement e : arr) {
      JsonObject o = e.getAsJsonObject();
      boolean all = true;
      for (int k = 0; k < kv.length; k += 2) {
        JsonElement v = o.get(kv[k]);
        String text = v == null ? null : v.isJsonPrimitive() ? v.getAsString() : v.toString();
        all &= kv[k + 1].equals(text);
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  static boolean noTraceOf(ClusterFixture f, int host, Lease gone) throws Exception {
    return f.route(host, gone.subnet().toString()) == null
        && !contains(f.json(host, "ip", "-j", "neigh", "show", "dev", "flannel.1"), "dst", gone.subnet().address().toString())
        && !contains(f.json(host, "bridge", "-j", "fdb", "show", "dev", "flannel.1"), "mac", mac(gone));
  }

  @Test
  @Order(1)
  void everyContainerReachesEveryOther() throws Exception {
    f.assertAllReach();
  }

  @Test
  @Order(2)
  void kernelObjectsAreFlannels() throws Exception {
    for (int i = 1; i <= 3; i++) {
      assertFlannelObjects(f, i);
      assertTrue(f.subnetFile(i).contains("FLANNEL_MTU=1450\n"), f.subnetFile(i));
      assertTrue(f.subnetFile(i).contains("FLANNEL_SUBNET=" + f.leases[i].subnet().address().plus(1) + "/24\n"));
      // The exact value flanneld stores (reference B1).
      String value = store.get(PREFIX + "/subnets/" + f.leases[i].key()).orElseThrow().value();
      assertEquals("{\"PublicIP\":\"" + f.cluster.host(i).underlayIp() + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
          + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac(f.leases[i]) + "\"}}", value);
    }
  }

  @Test
  @Order(3)
  void handWrittenFlanneldLeaseIsProgrammedAndForeignTypesIgnored() throws Exception {
    // Reference B9: what a flanneld node publishes; 192.0.2.99 does not exist, so no traffic is sent.
    Lease flanneld = Lease.of(Ip4Net.parse("10.5.200.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.99"))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:02:0d\"}"));
    Lease hostGw = Lease.of(Ip4Net.parse("10.5.201.0/24"), LeaseAttrs.of(Ip4.parse("192.0.2.98"))
        .withBackend("host-gw", null));
    store.put(PREFIX + "/subnets/" + hostGw.key(), LeaseCodec.toJson(hostGw.attrs()), Duration.ofMinutes(5));
    store.put(PREFIX + "/subnets/" + flanneld.key(), LeaseCodec.toJson(flanneld.attrs()), Duration.ofMinutes(5));
    for (int i = 1; i <= 3; i++) {
      int host = i;
      await("flanneld's lease on h" + host, Duration.ofSeconds(15), () -> {
        JsonObject r = f.route(host, "10.5.200.0/24");
        return r != null && "10.5.200.0".equals(r.get("gateway").getAsString())
            && contains(f.json(host, "ip", "-j", "neigh", "show", "dev", "flannel.1"), "dst", "10.5.200.0",
                "lladdr", "02:00:00:00:02:0d", "state", "[\"PERMANENT\"]")
            && contains(f.json(host, "bridge", "-j", "fdb", "show", "dev", "flannel.1"), "mac", "02:00:00:00:02:0d",
                "dst", "192.0.2.99", "state", "permanent");
      });
      assertNull(f.route(host, "10.5.201.0/24"), "a host-gw lease is ignored by vxlan");
    }
    store.delete(PREFIX + "/subnets/" + flanneld.key());
    store.delete(PREFIX + "/subnets/" + hostGw.key());
    for (int i = 1; i <= 3; i++) {
      int host = i;
      await("flanneld's lease gone on h" + host, Duration.ofSeconds(15), () -> noTraceOf(f, host, flanneld));
    }
  }

  @Test
  @Order(4)
  void removedLeaseDisappearsEverywhereAndItsHostComesBackWithTheSameSubnet() throws Exception {
    Lease gone = f.leases[3];
    // h3 goes away and its lease expires (a running agent would take its lease back at once).
    f.stopAgent(3);
    store.delete(PREFIX + "/subnets/" + gone.key());
    for (int host = 1; host <= 2; host++) {
      int h = host;
      await("h3's objects gone on h" + h, Duration.ofSeconds(15), () -> noTraceOf(f, h, gone));
    }
    Lease again = f.startAgent(3);
    assertEquals(gone.subnet(), again.subnet(), "same subnet, from the subnet file");
    assertEquals(mac(gone), mac(again), "the device survived, so did its MAC");
    f.assertAllReach();
    for (int i = 1; i <= 3; i++) {
      assertFlannelObjects(f, i);
    }
  }

  @Test
  @Order(5)
  void restartedAgentKeepsItsSubnetAndStaysReachable() throws Exception {
    Lease before = f.leases[2];
    f.stopAgent(2);
    // Like flanneld, a stopped agent leaves everything in place: traffic keeps flowing.
    f.assertReaches(1, 2);
    f.assertReaches(2, 3);
    Lease after = f.startAgent(2);
    assertEquals(before.subnet(), after.subnet());
    assertEquals(mac(before), mac(after));
    f.assertAllReach();
    assertFlannelObjects(f, 2);
  }

  @Test
  @Order(6)
  void deletedDeviceIsRecreatedAndTrafficRestored() throws Exception {
    String macBefore = mac(f.leases[1]);
    f.run(1, "ip", "link", "del", "flannel.1");
    await("flannel.1 recreated on h1", Duration.ofSeconds(10), () -> {
      try {
        assertFlannelObjects(f, 1);
        return true;
      } catch (AssertionError | Exception e) {
        return false;
      }
    });
    assertEquals(macBefore, f.json(1, "ip", "-j", "link", "show", "flannel.1").get(0).getAsJsonObject()
        .get("address").getAsString());
    f.assertAllReach();
  }

  @Test
  @Order(7)
  void entriesDeletedByHandAreRestored() throws Exception {
    Lease l1 = f.leases[1];
    f.run(2, "ip", "route", "del", l1.subnet().toString());
    f.run(2, "ip", "neigh", "del", l1.subnet().address().toString(), "dev", "flannel.1");
    f.run(3, "bridge", "fdb", "del", mac(l1), "dev", "flannel.1", "dst", l1.attrs().publicIp().toString(), "self");
    await("entries restored", Duration.ofSeconds(10), () -> {
      try {
        assertFlannelObjects(f, 2);
        assertFlannelObjects(f, 3);
        return true;
      } catch (AssertionError | Exception e) {
        return false;
      }
    });
    f.assertReaches(2, 1);
    f.assertReaches(3, 1);
  }
}
