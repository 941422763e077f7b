package io.overlaynet.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.NetworkConfig;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.wireguard.WireGuardConfig.Mode;
import io.overlaynet.wireguard.internal.PrivateKey;
import io.overlaynet.wireguard.internal.PublicKey;
import io.overlaynet.wireguard.internal.WgDevice;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** flannel v0.28.9's peer rules ({@code wireguard_network.go}) for every mode, without a kernel. */
class PeerPlanTest {

  static final PublicKey KEY = PrivateKey.generate().publicKey();
  static final Ip4Net S4 = Ip4Net.parse("10.5.7.0/24");
  static final Ip6Net S6 = Ip6Net.parse("fd00:5:0:7::/64");

  static PeerPlan.Local local(String mode, boolean main, boolean v6, boolean ip4, String ip6) {
    NetworkConfig n = WireGuardConfigTest.network(WireGuardConfigTest.DUAL, ",\"Mode\":\"" + mode + "\"");
    return new PeerPlan.Local(WireGuardConfig.parse(n.backend()), main, v6, ip4,
        Optional.ofNullable(ip6).map(Ip6::parse));
  }

  static final PeerPlan.Local SEPARATE = local("separate", true, true, true, "2001:db8::11");
  static final PeerPlan.Local AUTO = local("auto", true, false, true, "2001:db8::11");

  /** A lease with {@code v4}/{@code v6} subnets, data with these ports (-1: no Port field, as v0.20.2 writes). */
  static Lease lease(String publicIp, String publicIpv6, boolean v4, boolean v6, int port, int port6) {
    LeaseAttrs a = LeaseAttrs.of(Ip4.parse(publicIp)).withBackend("wireguard", v4 ? data(port) : null);
    if (publicIpv6 != null) {
      a = a.withPublicIpv6(Ip6.parse(publicIpv6));
    }
    if (v6) {
      a = a.withBackendV6Data(data(port6));
    }
    return new Lease(v4 ? S4 : Ip4Net.EMPTY, v6 ? Optional.of(S6) : Optional.empty(), a, Optional.empty());
  }

  static String data(int port) {
    return port < 0 ? "{\"PublicKey\":\"" + KEY.toBase64() + "\"}" : PeerPlan.LeaseData.json(KEY, port);
  }

  static InetSocketAddress ep(String ip, int port) {
    return new InetSocketAddress(ip.contains(":") ? Ip6.parse(ip).toInetAddress() : Ip4.parse(ip).toInetAddress(),
        port);
  }

  @Test
  void separateModeGivesAPeerPerFamilyOnItsDevice() {
    PeerPlan.Peers p = PeerPlan.of(lease("192.0.2.12", "2001:db8::12", true, true, 51820, 51821), SEPARATE);
    WgDevice.PeerConfig m = p.main().orElseThrow();
    WgDevice.PeerConfig v6 = p.v6().orElseThrow();
    assertEquals(KEY, m.publicKey());
    assertEquals(ep("192.0.2.12", 51820), m.endpoint().orElseThrow());
    assertEquals(List.of(S4), m.allowedIps());
    assertEquals(ep("2001:db8::12", 51821), v6.endpoint().orElseThrow());
    assertEquals(List.of(S6), v6.allowedIps());
    assertTrue(p.errors().isEmpty(), p.errors().toString());
  }

  @Test
  void thePeersPortsWinAndMissingPortsMeanOurs() {
    PeerPlan.Peers p = PeerPlan.of(lease("192.0.2.12", "2001:db8::12", true, true, 6000, 6001), SEPARATE);
    assertEquals(6000, p.main().orElseThrow().endpoint().orElseThrow().getPort());
    assertEquals(6001, p.v6().orElseThrow().endpoint().orElseThrow().getPort());
    p = PeerPlan.of(lease("192.0.2.12", "2001:db8::12", true, true, -1, -1), SEPARATE);
    assertEquals(51820, p.main().orElseThrow().endpoint().orElseThrow().getPort());
    assertEquals(51821, p.v6().orElseThrow().endpoint().orElseThrow().getPort());
  }

  @Test
  void aV4OnlyLeaseInADualStackNetworkGivesTheV4PeerOnly() {
    PeerPlan.Peers p = PeerPlan.of(lease("192.0.2.12", null, true, false, 51820, 0), SEPARATE);
    assertTrue(p.main().isPresent());
    assertTrue(p.v6().isEmpty());
    assertTrue(p.errors().isEmpty());
    // auto: one peer, its IPv4 subnet only, over IPv4.
    p = PeerPlan.of(lease("192.0.2.12", null, true, false, 51820, 0), AUTO);
    assertEquals(List.of(S4), p.main().orElseThrow().allowedIps());
    assertEquals(ep("192.0.2.12", 51820), p.main().orElseThrow().endpoint().orElseThrow());
  }

  @Test
  void aFamilyThisNodeDoesNotCarryNeedsNoData() {
    // An IPv4-only node (no flannel-wg-v6) and a dual-stack lease without BackendV6Data.
    Lease l = new Lease(S4, Optional.of(S6), LeaseAttrs.of(Ip4.parse("192.0.2.12")).withBackend("wireguard",
        data(51820)), Optional.empty());
    PeerPlan.Peers p = PeerPlan.of(l, local("separate", true, false, true, null));
    assertTrue(p.main().isPresent());
    assertTrue(p.errors().isEmpty(), p.errors().toString());
    assertEquals(List.of("no BackendV6Data"), PeerPlan.of(l, SEPARATE).errors());
  }

  @Test
  void aNodeWithoutIpv4HasNoFlannelWgPeer() {
    PeerPlan.Local v6only = local("separate", false, true, false, "2001:db8::11");
    PeerPlan.Peers p = PeerPlan.of(lease("0.0.0.0", "2001:db8::12", false, true, 0, 51821), v6only);
    assertTrue(p.main().isEmpty());
    assertEquals(ep("2001:db8::12", 51821), p.v6().orElseThrow().endpoint().orElseThrow());
  }

  @Test
  void oneDeviceModesGiveOnePeerWithBothSubnets() {
    Lease l = lease("192.0.2.12", "2001:db8::12", true, true, 51820, 51820);
    WgDevice.PeerConfig v4 = PeerPlan.of(l, local("ipv4", true, false, true, "2001:db8::11")).main().orElseThrow();
    assertEquals(List.of(S4, S6), v4.allowedIps());
    assertEquals(ep("192.0.2.12", 51820), v4.endpoint().orElseThrow());
    WgDevice.PeerConfig v6 = PeerPlan.of(l, local("ipv6", true, false, true, "2001:db8::11")).main().orElseThrow();
    assertEquals(List.of(S4, S6), v6.allowedIps());
    assertEquals(ep("2001:db8::12", 51820), v6.endpoint().orElseThrow());
  }

  @Test
  void oneDeviceModesReachAFlanneldOneDeviceOnItsListenPort() {
    // flanneld v0.28.9 in ipv6 mode writes BackendV6Data Port 51821 but listens on 51820 (BackendData's).
    Lease flanneld = lease("192.0.2.12", "2001:db8::12", true, true, 51820, 51821);
    assertEquals(ep("2001:db8::12", 51820), PeerPlan.of(flanneld, local("ipv6", true, false, true, "2001:db8::11"))
        .main().orElseThrow().endpoint().orElseThrow());
    // IPv6-only: BackendV6Data's port is all there is.
    Lease v6only = lease("0.0.0.0", "2001:db8::12", false, true, 0, 6001);
    WgDevice.PeerConfig c = PeerPlan.of(v6only, local("ipv6", true, false, false, "2001:db8::11")).main().orElseThrow();
    assertEquals(ep("2001:db8::12", 6001), c.endpoint().orElseThrow());
    assertEquals(List.of(S6), c.allowedIps());
  }

  @Test
  void ipv6ModeWithoutAPeerIpv6AddressSaysWhy() {
    PeerPlan.Peers p = PeerPlan.of(lease("192.0.2.12", null, true, false, 51820, 0),
        local("ipv6", true, false, true, "2001:db8::11"));
    assertTrue(p.main().isEmpty());
    assertEquals(List.of("no PublicIPv6 for an IPv6 endpoint"), p.errors());
  }

  @Test
  void autoModeSelectsAsFlannelsSelectMode() {
    // No remote IPv6: IPv4.
    assertEquals(Mode.IPV4, PeerPlan.select(lease("10.0.0.12", null, true, false, 1, 1), AUTO));
    // A public (non-RFC 1918) remote IPv4 and a local IPv4: IPv4, even with IPv6 on both.
    assertEquals(Mode.IPV4, PeerPlan.select(lease("192.0.2.12", "2001:db8::12", true, true, 1, 1), AUTO));
    // A private remote IPv4, both IPv6 addresses global: IPv6.
    for (String priv : new String[] {"10.1.2.3", "172.16.0.1", "172.31.255.1", "192.168.1.1"}) {
      assertEquals(Mode.IPV6, PeerPlan.select(lease(priv, "2001:db8::12", true, true, 1, 1), AUTO), priv);
    }
    assertEquals(Mode.IPV4, PeerPlan.select(lease("172.32.0.1", "2001:db8::12", true, true, 1, 1), AUTO));
    // A public remote IPv4 but no local IPv4: IPv6.
    assertEquals(Mode.IPV6, PeerPlan.select(lease("192.0.2.12", "2001:db8::12", true, true, 1, 1),
        local("auto", true, false, false, "2001:db8::11")));
    // ULA on either side: back to IPv4.
    assertEquals(Mode.IPV4, PeerPlan.select(lease("10.1.2.3", "fd00::12", true, true, 1, 1), AUTO));
    assertEquals(Mode.IPV4, PeerPlan.select(lease("10.1.2.3", "2001:db8::12", true, true, 1, 1),
        local("auto", true, false, true, "fc00::11")));
    assertEquals(Mode.IPV4, PeerPlan.select(lease("10.1.2.3", "2001:db8::12", true, true, 1, 1),
        local("auto", true, false, true, null)));
    // An IPv6-only lease (PublicIP 0.0.0.0): IPv6.
    assertEquals(Mode.IPV6, PeerPlan.select(lease("0.0.0.0", "fd00::12", false, true, 1, 1), AUTO));
    // The chosen family is the endpoint's.
    assertEquals(ep("2001:db8::12", 51820), PeerPlan.of(lease("10.1.2.3", "2001:db8::12", true, true, 51820, 51820),
        AUTO).main().orElseThrow().endpoint().orElseThrow());
  }

  @Test
  void leaseDataThatDoesNotDecodeGivesNoPeerAndSaysWhy() {
    Lease bad = new Lease(S4, Optional.of(S6), LeaseAttrs.of(Ip4.parse("192.0.2.12"))
        .withPublicIpv6(Ip6.parse("2001:db8::12")).withBackend("wireguard", "{\"PublicKey\":\"nope\"}")
        .withBackendV6Data(data(51821)), Optional.empty());
    PeerPlan.Peers p = PeerPlan.of(bad, SEPARATE);
    assertTrue(p.main().isEmpty());
    assertTrue(p.v6().isPresent(), "the family that decodes keeps its peer");
    assertTrue(p.errors().get(0).startsWith("BackendData does not decode: "), p.errors().toString());
    assertFalse(PeerPlan.of(bad, AUTO).main().isPresent(), "one device: no peer with half its data");
    assertThrows(IllegalArgumentException.class, () -> PeerPlan.LeaseData.decode("[]"));
    assertThrows(IllegalArgumentException.class,
        () -> PeerPlan.LeaseData.decode("{\"PublicKey\":\"" + KEY.toBase64() + "\",\"Port\":70000}"));
    assertEquals(new PeerPlan.LeaseData(KEY, 0), PeerPlan.LeaseData.decode("{\"PublicKey\":\"" + KEY.toBase64() + "\"}"));
  }
}
