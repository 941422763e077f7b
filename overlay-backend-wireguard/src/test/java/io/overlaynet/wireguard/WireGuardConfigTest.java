package io.overlaynet.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.LeaseCodec;
import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.wireguard.WireGuardConfig.Mode;
import io.overlaynet.wireguard.internal.PrivateKey;
import io.overlaynet.wireguard.internal.PublicKey;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The wireguard options and the lease data, as flannel v0.28.9 reads and writes them. */
class WireGuardConfigTest {

  static final String DUAL = "\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"";
  static final String V6_ONLY = "\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"";
  static final String V4_ONLY = "\"Network\":\"10.5.0.0/16\"";

  static NetworkConfig network(String families, String backend) {
    return NetworkConfig.parse("{" + families + ",\"Backend\":{\"Type\":\"wireguard\"" + backend + "}}");
  }

  static WireGuardConfig parse(String backend) {
    return WireGuardConfig.parse(network(V4_ONLY, backend).backend());
  }

  @Test
  void flannelsDefaults() {
    WireGuardConfig c = parse("");
    assertEquals(51820, c.listenPort());
    assertEquals(51821, c.listenPortV6());
    assertEquals(Mode.SEPARATE, c.mode());
    assertEquals(Duration.ZERO, c.keepalive());
    assertTrue(c.psk().isEmpty());
    assertEquals(1420, c.deviceMtu(1500));
  }

  @Test
  void everyOptionCaseInsensitivelyAsGoJsonDoes() {
    String psk = "SGVsbG8gV29ybGQgSGVsbG8gV29ybGQgSGVsbG8gV28=";
    WireGuardConfig c = parse(",\"listenPort\":5000,\"LISTENPORTV6\":5001,\"mode\":\"auto\",\"PSK\":\"" + psk
        + "\",\"PersistentKeepaliveInterval\":25,\"MTU\":9000");
    assertEquals(5000, c.listenPort());
    assertEquals(5001, c.listenPortV6());
    assertEquals(Mode.AUTO, c.mode());
    assertEquals(Duration.ofSeconds(25), c.keepalive());
    assertTrue(c.psk().isPresent());
    assertEquals(8920, c.deviceMtu(1500));
    for (Mode m : Mode.values()) {
      assertEquals(m, parse(",\"Mode\":\"" + m.wire() + "\"").mode());
    }
  }

  @Test
  void aBadModeIsFlannelsErrorWithTheChoices() {
    // flannel compares Mode exactly: "Auto" is no mode either.
    for (String bad : new String[] {"Auto", "dual", ""}) {
      NetworkConfigException e = assertThrows(NetworkConfigException.class, () -> parse(",\"Mode\":\"" + bad + "\""));
      assertEquals("wireguard: no valid Mode configured: \"" + bad + "\" (one of separate, auto, ipv4, ipv6)",
          e.getMessage());
    }
  }

  @Test
  void badPortsAndPsk() {
    assertEquals("wireguard ListenPort out of range: 0",
        assertThrows(NetworkConfigException.class, () -> parse(",\"ListenPort\":0")).getMessage());
    assertEquals("wireguard ListenPortV6 out of range: 70000",
        assertThrows(NetworkConfigException.class, () -> parse(",\"ListenPortV6\":70000")).getMessage());
    assertTrue(assertThrows(NetworkConfigException.class, () -> parse(",\"PSK\":\"c2hvcnQ=\"")).getMessage()
        .startsWith("wireguard PSK: "));
  }

  @Test
  void modesThatCannotCarryTheNetworkAreRefused() {
    NetworkConfig v6only = network(V6_ONLY, ",\"Mode\":\"ipv4\"");
    NetworkConfigException e = assertThrows(NetworkConfigException.class,
        () -> WireGuardConfig.parse(v6only.backend()).check(v6only));
    assertTrue(e.getMessage().startsWith("wireguard Mode ipv4 runs every tunnel over IPv4, but EnableIPv4 is false"),
        e.getMessage());
    NetworkConfig samePorts = network(DUAL, ",\"ListenPort\":6000,\"ListenPortV6\":6000");
    e = assertThrows(NetworkConfigException.class, () -> WireGuardConfig.parse(samePorts.backend()).check(samePorts));
    assertTrue(e.getMessage().contains("they must differ, both are 6000"), e.getMessage());
    // One port is fine where only one device listens.
    NetworkConfig single = network(DUAL, ",\"ListenPort\":6000,\"ListenPortV6\":6000,\"Mode\":\"auto\"");
    WireGuardConfig.parse(single.backend()).check(single);
    NetworkConfig v6sep = network(V6_ONLY, ",\"ListenPort\":6000,\"ListenPortV6\":6000");
    WireGuardConfig.parse(v6sep.backend()).check(v6sep);
  }

  @Test
  void whichDevicesEachModeHas() {
    WireGuardConfig sep = parse("");
    assertTrue(sep.hasMainDevice(network(DUAL, "")) && sep.hasV6Device(network(DUAL, "")));
    assertTrue(sep.hasMainDevice(network(V4_ONLY, "")) && !sep.hasV6Device(network(V4_ONLY, "")));
    assertFalse(sep.hasMainDevice(network(V6_ONLY, "")));
    assertTrue(sep.hasV6Device(network(V6_ONLY, "")));
    for (String m : new String[] {"auto", "ipv4", "ipv6"}) {
      WireGuardConfig c = parse(",\"Mode\":\"" + m + "\"");
      assertTrue(c.hasMainDevice(network(DUAL, "")) && !c.hasV6Device(network(DUAL, "")), m);
      assertTrue(c.hasMainDevice(network(V6_ONLY, "")) && !c.hasV6Device(network(V6_ONLY, "")), m);
    }
  }

  static final ExternalInterface EXT = new ExternalInterface("eth0", 2, 1500, Ip4.parse("192.0.2.11"),
      Ip4.parse("192.0.2.11"), Optional.of(Ip6.parse("2001:db8::11")), Optional.of(Ip6.parse("2001:db8::11")));

  static String leaseJson(String families, String backend, ExternalInterface ext, PublicKey key) {
    NetworkConfig n = network(families, backend);
    return LeaseCodec.toJson(WireGuardBackend.leaseAttrs(WireGuardConfig.parse(n.backend()), n, ext, key));
  }

  @Test
  void leaseValuesAsFlanneldWritesThem() {
    PublicKey key = PrivateKey.generate().publicKey();
    String k = key.toBase64();
    // newSubnetAttrs: BackendData with IPv4, BackendV6Data with IPv6, each {"PublicKey","Port"}.
    assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"wireguard\","
        + "\"BackendData\":{\"PublicKey\":\"" + k + "\",\"Port\":51820},"
        + "\"BackendV6Data\":{\"PublicKey\":\"" + k + "\",\"Port\":51821}}", leaseJson(DUAL, "", EXT, key));
    assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,\"BackendType\":\"wireguard\","
        + "\"BackendData\":{\"PublicKey\":\"" + k + "\",\"Port\":51820}}",
        leaseJson(V4_ONLY, "", ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")), key));
    // IPv6-only: PublicIP 0.0.0.0 (reference B12) and no BackendData.
    assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"wireguard\","
        + "\"BackendV6Data\":{\"PublicKey\":\"" + k + "\",\"Port\":51821}}", leaseJson(V6_ONLY, "", EXT, key));
    assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"wireguard\","
        + "\"BackendData\":{\"PublicKey\":\"" + k + "\",\"Port\":7000},"
        + "\"BackendV6Data\":{\"PublicKey\":\"" + k + "\",\"Port\":7001}}",
        leaseJson(DUAL, ",\"ListenPort\":7000,\"ListenPortV6\":7001", EXT, key));
  }

  @Test
  void oneDeviceModesPublishThePortThatDeviceListensOn() {
    // Deviation: flanneld v0.28.9 writes ListenPortV6 here, where its one device listens on ListenPort.
    PublicKey key = PrivateKey.generate().publicKey();
    String k = key.toBase64();
    for (String m : new String[] {"auto", "ipv4", "ipv6"}) {
      assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":\"2001:db8::11\",\"BackendType\":\"wireguard\","
          + "\"BackendData\":{\"PublicKey\":\"" + k + "\",\"Port\":51820},"
          + "\"BackendV6Data\":{\"PublicKey\":\"" + k + "\",\"Port\":51820}}",
          leaseJson(DUAL, ",\"Mode\":\"" + m + "\"", EXT, key), m);
    }
  }
}
