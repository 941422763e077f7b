package io.overlaynet.vxlan;

import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static io.overlaynet.vxlan.Ipv6ClusterFixture.PREFIX;
import static io.overlaynet.vxlan.VxlanClusterIT.assertPeerEntries;
import static io.overlaynet.vxlan.VxlanClusterIT.contains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.overlaynet.Lease;
import io.overlaynet.LeaseCodec;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.testing.SharedFixture;
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
 * Three dual-stack hosts (IPv4 and IPv6 underlay) running the vxlan backend with
 * {@code "EnableIPv6": true}: containers reach each other over both families, flannel-v6.1 and its
 * per-peer entries are flanneld's (reference B10, checked with iproute2's output), a deleted
 * device or deleted entries come back, stale IPv6 entries go on a re-list. The tests share one
 * cluster and run in order; after a failed test the cluster is built again ({@link SharedFixture}).
 * {@link VxlanIpv6OnlyIT} is the IPv6-only cluster.
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VxlanIpv6ClusterIT {

  static final String DUAL = "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24,\"EnableIPv6\":true,"
      + "\"IPv6Network\":\"fd00:5::/56\",\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"vxlan\"}}";
  static final String V6_ONLY = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
      + "\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"vxlan\"}}";

  static Ipv6ClusterFixture start(String config) throws Exception {
    return Ipv6ClusterFixture.start(3, config,
        () -> VxlanBackend.create(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofSeconds(1))));
  }

  @RegisterExtension
  final SharedFixture<Ipv6ClusterFixture> cluster = new SharedFixture<>(() -> start(DUAL));

  private Ipv6ClusterFixture f;

  @BeforeAll
  static void prerequisites() {
    VxlanClusterIT.requirePrerequisites();
  }

  static String mac6(Lease l) {
    return VtepData.parse(l.attrs().backendV6Data().orElseThrow()).vtepMac().toString();
  }

  static List<JsonObject> v6RoutesVia(Ipv6ClusterFixture f, int host, String dev) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (JsonElement e : f.json(host, "ip", "-6", "-d", "-j", "route", "show", "dev", dev)) {
      out.add(e.getAsJsonObject());
    }
    return out;
  }

  static JsonObject v6Route(Ipv6ClusterFixture f, int host, Ip6Net dst) throws Exception {
    for (JsonElement e : f.json(host, "ip", "-6", "-d", "-j", "route", "show", dst.toString())) {
      return e.getAsJsonObject();
    }
    return null;
  }

  /** Checks host {@code i}'s flannel-v6.1 and its entries for every other host against flanneld's (reference B10). */
  static void assertFlannelV6Objects(Ipv6ClusterFixture f, int i) throws Exception {
    Lease own = f.leases[i];
    String underlay = Ipv6ClusterFixture.underlay6(i).toString();
    // flannel-v6.1: mtu 1430 ... vxlan id 1 local 2001:db8::11 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto
    //   ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx
    String text = f.run(i, "ip", "-d", "link", "show", "flannel-v6.1");
    assertTrue(text.contains("vxlan id 1 local " + underlay + " dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto"
        + " ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx"), text);
    JsonObject link = f.json(i, "ip", "-d", "-j", "link", "show", "flannel-v6.1").get(0).getAsJsonObject();
    assertEquals(1430, link.get("mtu").getAsInt());
    assertEquals(mac6(own), link.get("address").getAsString(), "the lease publishes the device's MAC");
    assertTrue(link.getAsJsonArray("flags").toString().contains("\"UP\""), link.toString());
    JsonObject data = link.getAsJsonObject("linkinfo").getAsJsonObject("info_data");
    assertEquals(1, data.get("id").getAsInt());
    assertEquals(underlay, data.get("local6").getAsString());
    assertEquals("eth0", data.get("link").getAsString());
    assertEquals(8472, data.get("port").getAsInt());
    assertFalse(data.get("learning").getAsBoolean());
    assertTrue(data.get("udp_csum").getAsBoolean() && !data.get("udp_zero_csum6_tx").getAsBoolean()
        && !data.get("udp_zero_csum6_rx").getAsBoolean(), data.toString());
    assertTrue(!data.has("group6") && !data.has("remote6") && !data.has("l2miss") && !data.has("gbp"), data.toString());

    // address fd00:5:0:3a::/128 (the lease's network address); the kernel's link-local one beside it
    List<String> global = new ArrayList<>();
    for (JsonElement a : f.json(i, "ip", "-6", "-j", "addr", "show", "dev", "flannel-v6.1").get(0).getAsJsonObject()
        .getAsJsonArray("addr_info")) {
      JsonObject o = a.getAsJsonObject();
      if ("global".equals(o.get("scope").getAsString())) {
        global.add(o.get("local").getAsString() + "/" + o.get("prefixlen").getAsInt());
      }
    }
    assertEquals(List.of(own.ipv6Subnet().get().address() + "/128"), global);

    JsonArray neigh = f.json(i, "ip", "-6", "-j", "neigh", "show", "dev", "flannel-v6.1", "nud", "permanent");
    JsonArray fdb = f.json(i, "bridge", "-j", "fdb", "show", "dev", "flannel-v6.1");
    int peers = 0;
    for (int j = 1; j <= f.size(); j++) {
      if (j == i || f.leases[j] == null) {
        continue;
      }
      peers++;
      Lease p = f.leases[j];
      Ip6Net s6 = p.ipv6Subnet().get();
      // fd00:5:0:16::/64 via fd00:5:0:16:: dev flannel-v6.1 onlink, fd00:5:0:16:: lladdr 26:65:95:3b:8c:f9 PERMANENT,
      // 26:65:95:3b:8c:f9 dst 2001:db8::12 self permanent
      assertPeerEntries(v6Route(f, i, s6), neigh, fdb, "flannel-v6.1", s6.toString(), s6.address().toString(), mac6(p),
          p.attrs().publicIpv6().get().toString());
    }
    long viaGateway = v6RoutesVia(f, i, "flannel-v6.1").stream().filter(r -> r.has("gateway")).count();
    assertEquals(peers, viaGateway, "exactly one route per peer: " + v6RoutesVia(f, i, "flannel-v6.1"));
    assertEquals(peers, neigh.size(), neigh.toString());
    assertEquals(peers, fdb.size(), fdb.toString());
  }

  static boolean restored(Ipv6ClusterFixture f, int host) {
    try {
      assertFlannelV6Objects(f, host);
      return true;
    } catch (AssertionError | Exception e) {
      return false;
    }
  }

  @BeforeEach
  void currentCluster() {
    f = cluster.get();
  }

  @Test
  @Order(1)
  void containersReachEachOtherOverIpv6AndIpv4AndTcpOverIpv6Works() throws Exception {
    f.assertAllPing(true);
    // 4 MiB: far beyond flannel-v6.1's MTU of 1430 (the containers' is 1500: path MTU discovery on the way).
    f.assertTcpTransfer6(1, 2, 4 << 20, 7601);
    f.assertTcpTransfer6(3, 1, 4 << 20, 7602);
  }

  @Test
  @Order(2)
  void devicesEntriesLeaseAndSubnetFileAreFlanneldsDualStackOnes() throws Exception {
    for (int i = 1; i <= 3; i++) {
      assertFlannelV6Objects(f, i);
      Lease l = f.leases[i];
      String value = f.store.get(PREFIX + "/subnets/" + l.key()).orElseThrow().value();
      String v4mac = VtepData.parse(l.attrs().backendData().orElseThrow()).vtepMac().toString();
      // reference B10: both families in one value, each with its own VtepMAC
      assertEquals("{\"PublicIP\":\"192.0.2.1" + i + "\",\"PublicIPv6\":\"2001:db8::1" + i + "\",\"BackendType\":"
          + "\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + v4mac + "\"},\"BackendV6Data\":{\"VNI\":1,"
          + "\"VtepMAC\":\"" + mac6(l) + "\"}}", value);
      assertTrue(l.key().matches("10\\.5\\.\\d+\\.0-24&fd00:5:0:[0-9a-f]+::-64"), l.key());
      String env = f.subnetFile(i);
      assertTrue(env.contains("FLANNEL_IPV6_NETWORK=fd00:5::/56\n") && env.contains("FLANNEL_IPV6_SUBNET="
          + l.ipv6Subnet().get().address().plus(1) + "/64\n") && env.contains("FLANNEL_MTU=1450\n"), env);
      JsonObject v4 = f.json(i, "ip", "-d", "-j", "link", "show", "flannel.1").get(0).getAsJsonObject();
      assertEquals(1450, v4.get("mtu").getAsInt());
      assertEquals(v4mac, v4.get("address").getAsString());
    }
  }

  @Test
  @Order(3)
  void aDeletedFlannelV6IsRecreatedWithItsMacAndReprogrammed() throws Exception {
    String macBefore = mac6(f.leases[1]);
    f.run(1, "ip", "link", "del", "flannel-v6.1");
    await("flannel-v6.1 recreated on h1", Duration.ofSeconds(10), () -> restored(f, 1));
    assertEquals(macBefore, f.json(1, "ip", "-j", "link", "show", "flannel-v6.1").get(0).getAsJsonObject()
        .get("address").getAsString());
    f.assertAllPing(true);
  }

  @Test
  @Order(4)
  void deletedV6RouteNeighbourAndFdbEntryAreRestored() throws Exception {
    Lease l1 = f.leases[1];
    Ip6Net s6 = l1.ipv6Subnet().get();
    f.run(2, "ip", "-6", "route", "del", s6.toString());
    f.run(2, "ip", "-6", "neigh", "del", s6.address().toString(), "dev", "flannel-v6.1");
    f.run(3, "bridge", "fdb", "del", mac6(l1), "dev", "flannel-v6.1", "dst",
        l1.attrs().publicIpv6().get().toString(), "self");
    await("v6 entries restored", Duration.ofSeconds(10), () -> restored(f, 2) && restored(f, 3));
    f.assertPings(2, 1, f.containerIp6[1]);
    f.assertPings(3, 1, f.containerIp6[1]);
  }

  @Test
  @Order(5)
  void staleV6EntriesGoOnAReList() throws Exception {
    // What a lease that expired while no agent ran leaves behind (flannel-io/flannel#2554, for IPv6).
    f.run(1, "ip", "-6", "route", "replace", "fd00:5:0:ee::/64", "via", "fd00:5:0:ee::", "dev", "flannel-v6.1",
        "onlink");
    f.run(1, "ip", "-6", "neigh", "replace", "fd00:5:0:ee::", "lladdr", "02:00:00:00:0e:ee", "dev", "flannel-v6.1",
        "nud", "permanent");
    f.run(1, "bridge", "fdb", "replace", "02:00:00:00:0e:ee", "dev", "flannel-v6.1", "dst", "2001:db8::ee", "self",
        "permanent");
    Thread.sleep(1500); // a reconciliation round or more: repairs do not remove what no lease wants
    assertTrue(v6Route(f, 1, Ip6Net.parse("fd00:5:0:ee::/64")) != null, "removed before any re-list");
    // Lost history: the agents' watches are compacted and they re-list, handing the backend a snapshot.
    f.store.cutOff();
    f.store.inner().put(PREFIX + "/relist-1", "x", io.overlaynet.store.Store.NO_TTL);
    f.store.inner().put(PREFIX + "/relist-2", "x", io.overlaynet.store.Store.NO_TTL);
    f.store.inner().compact(f.store.inner().revision());
    f.store.reconnect();
    await("stale v6 entries removed on h1", Duration.ofSeconds(15), () -> v6Route(f, 1,
        Ip6Net.parse("fd00:5:0:ee::/64")) == null
        && !contains(f.json(1, "ip", "-6", "-j", "neigh", "show", "dev", "flannel-v6.1"), "dst", "fd00:5:0:ee::")
        && !contains(f.json(1, "bridge", "-j", "fdb", "show", "dev", "flannel-v6.1"), "mac", "02:00:00:00:0e:ee"));
    assertFlannelV6Objects(f, 1);
    f.assertAllPing(true);
  }

  @Test
  @Order(6)
  void aRemovedLeaseTakesItsV6EntriesWithIt() throws Exception {
    Lease gone = f.leases[3];
    f.stopAgent(3);
    f.store.delete(PREFIX + "/subnets/" + gone.key());
    Ip6Net s6 = gone.ipv6Subnet().get();
    for (int host = 1; host <= 2; host++) {
      int h = host;
      await("h3's v6 objects gone on h" + h, Duration.ofSeconds(15), () -> v6Route(f, h, s6) == null
          && !contains(f.json(h, "ip", "-6", "-j", "neigh", "show", "dev", "flannel-v6.1"), "dst",
              s6.address().toString())
          && !contains(f.json(h, "bridge", "-j", "fdb", "show", "dev", "flannel-v6.1"), "mac", mac6(gone)));
    }
    Lease again = f.startAgent(3);
    assertEquals(gone.ipv6Subnet(), again.ipv6Subnet(), "same subnets, from the subnet file");
    assertEquals(mac6(gone), mac6(again), "the device survived, so did its MAC");
    f.assertAllPing(true);
  }
}
