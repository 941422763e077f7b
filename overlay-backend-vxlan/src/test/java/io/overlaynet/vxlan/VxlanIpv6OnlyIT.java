package io.overlaynet.vxlan;

import static io.overlaynet.vxlan.VxlanIpv6ClusterIT.assertFlannelV6Objects;
import static io.overlaynet.vxlan.VxlanIpv6ClusterIT.mac6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Lease;
import io.overlaynet.testing.SharedFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three IPv6-only hosts ({@code "EnableIPv4": false}): flannel-v6.1 alone, flanneld's lease value
 * with {@code PublicIP 0.0.0.0} (reference B12), containers reaching each other over IPv6.
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VxlanIpv6OnlyIT {

  @RegisterExtension
  final SharedFixture<Ipv6ClusterFixture> cluster = new SharedFixture<>(
      () -> VxlanIpv6ClusterIT.start(VxlanIpv6ClusterIT.V6_ONLY));

  @BeforeAll
  void prerequisites() {
    VxlanClusterIT.requirePrerequisites();
  }

  @Test
  void onlyFlannelV6AndContainersReachEachOtherOverIpv6() throws Exception {
    Ipv6ClusterFixture f = cluster.get();
    f.assertAllPing(false);
    f.assertTcpTransfer6(2, 3, 1 << 20, 7603);
    for (int i = 1; i <= 3; i++) {
      assertFlannelV6Objects(f, i);
      assertEquals(0, f.json(i, "ip", "-j", "link", "show", "type", "vxlan").asList().stream()
          .filter(l -> l.getAsJsonObject().get("ifname").getAsString().equals("flannel.1")).count(),
          "no flannel.1 without IPv4");
      Lease l = f.leases[i];
      // reference B12: "PublicIP":"0.0.0.0", no BackendData
      assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"2001:db8::1" + i + "\",\"BackendType\":\"vxlan\","
          + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + mac6(l) + "\"}}",
          f.store.get(Ipv6ClusterFixture.PREFIX + "/subnets/" + l.key()).orElseThrow().value());
      assertTrue(f.subnetFile(i).contains("FLANNEL_MTU=1430\n"), f.subnetFile(i));
    }
  }
}
