package io.overlaynet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** flannel's config parsing, defaults and validation messages (reference §1), v4 and v6. */
class NetworkConfigTest {

  private static String error(String json) {
    return assertThrows(NetworkConfigException.class, () -> NetworkConfig.parse(json)).getMessage();
  }

  @Test
  void defaultsForASlash16() {
    NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.3.0.0/16\"}");
    assertEquals(Ip4Net.parse("10.3.0.0/16"), c.network());
    assertEquals(24, c.subnetLen());
    assertEquals(Ip4.parse("10.3.1.0"), c.subnetMin());
    assertEquals(Ip4.parse("10.3.255.0"), c.subnetMax());
    assertTrue(c.enableIpv4());
    assertFalse(c.enableIpv6());
    assertEquals("udp", c.backend().type(), "a config without Backend means udp, as flannel's code does");
  }

  @Test
  void explicitSubnetLen18LeavesThreeUsableSubnets() {
    NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.3.0.0/16\",\"SubnetLen\":18}");
    assertEquals(Ip4.parse("10.3.64.0"), c.subnetMin());
    assertEquals(Ip4.parse("10.3.192.0"), c.subnetMax());
  }

  @ParameterizedTest
  @CsvSource({"10.3.0.0/24, 26", "10.3.0.0/22, 24", "10.3.0.0/23, 25", "10.3.0.0/28, 30", "10.0.0.0/8, 24"})
  void subnetLenDefaultsByNetworkSize(String network, int expected) {
    assertEquals(expected, NetworkConfig.parse("{\"Network\":\"" + network + "\"}").subnetLen());
  }

  @Test
  void keysAreCaseInsensitiveAndUnknownKeysIgnored() {
    NetworkConfig c = NetworkConfig.parse(
        "{\"network\":\"10.5.0.0/16\",\"subnetlen\":25,\"Whatever\":[1,2],\"backend\":{\"type\":\"VXLAN\",\"vni\":4}}");
    assertEquals(25, c.subnetLen());
    assertEquals("vxlan", c.backend().type());
    assertEquals(4, c.backend().getInt("VNI", 1));
    assertEquals(8472, c.backend().getInt("Port", 8472));
    assertFalse(c.backend().getBoolean("DirectRouting", false));
  }

  @Test
  void hostBitsOfTheNetworkAreMasked() {
    assertEquals(Ip4Net.parse("10.5.0.0/16"), NetworkConfig.parse("{\"Network\":\"10.5.3.7/16\"}").network());
  }

  @Test
  void ipv4ValidationMessagesAreFlannels() {
    assertEquals("please define a correct Network parameter in the flannel config", error("{}"));
    assertEquals("please define a correct Network parameter in the flannel config",
        error("{\"Network\":\"0.0.0.0/0\"}"));
    assertEquals("SubnetLen must be less than /31", error("{\"Network\":\"10.3.0.0/16\",\"SubnetLen\":31}"));
    assertEquals("network must be able to accommodate at least four subnets",
        error("{\"Network\":\"10.3.0.0/16\",\"SubnetLen\":17}"));
    assertEquals("network is too small. Minimum useful network prefix is /28", error("{\"Network\":\"10.3.0.0/29\"}"));
    assertEquals("SubnetMin is not in the range of the Network",
        error("{\"Network\":\"10.3.0.0/16\",\"SubnetMin\":\"10.4.0.0\"}"));
    assertEquals("SubnetMax is not in the range of the Network",
        error("{\"Network\":\"10.3.0.0/16\",\"SubnetMax\":\"10.4.0.0\"}"));
    assertEquals("SubnetMin is not on a SubnetLen boundary: 10.3.1.1",
        error("{\"Network\":\"10.3.0.0/16\",\"SubnetMin\":\"10.3.1.1\"}"));
    assertEquals("SubnetMax is not on a SubnetLen boundary: 10.3.9.128",
        error("{\"Network\":\"10.3.0.0/16\",\"SubnetMax\":\"10.3.9.128\"}"));
  }

  @Test
  void malformedInputNamesTheProblem() {
    assertTrue(error("{\"Network\":\"fd00::/64\"}").contains("invalid IPv4 CIDR format"));
    assertTrue(error("{\"Network\":\"10.5.0.0/33\"}").contains("invalid CIDR address: 10.5.0.0/33"));
    assertTrue(error("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":-1}").startsWith("SubnetLen: expected a non-negative"));
    assertTrue(error("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":\"24\"}").startsWith("SubnetLen: expected"));
    assertTrue(error("{\"Network\":\"10.5.0.0/16\",\"Backend\":\"vxlan\"}")
        .startsWith("error decoding Backend property of config"));
    assertTrue(error("{\"Network\":").startsWith("the network config is not valid JSON"));
    assertTrue(error("[1]").startsWith("the network config is not a JSON object"));
    assertTrue(error("{\"Network\":\"10.5.0.0/16\",\"EnableIPv4\":false}").startsWith("none defined stack"));
    NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":\"x\"}}");
    assertEquals("VNI: expected a non-negative integer, got \"x\"",
        assertThrows(NetworkConfigException.class, () -> c.backend().getInt("VNI", 1)).getMessage());
  }

  @Test
  void ipv6DefaultsAndValidation() {
    NetworkConfig c = NetworkConfig.parse(
        "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}");
    assertEquals(64, c.ipv6SubnetLen());
    assertEquals(Ip6.parse("fc00:0:0:1::"), c.ipv6SubnetMin());
    assertEquals(Ip6.parse("fc00:0:0:ffff::"), c.ipv6SubnetMax());
    String v6 = "{\"EnableIPv6\":true,\"Network\":\"10.5.0.0/16\",";
    assertEquals("please define a correct IPv6Network parameter in the flannel config", error(v6 + "\"x\":1}"));
    assertEquals("SubnetLen must be less than /127", error(v6 + "\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetLen\":127}"));
    assertEquals("network must be able to accommodate at least four subnets",
        error(v6 + "\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetLen\":49}"));
    assertEquals("IPv6Network is too small. Minimum useful network prefix is /124",
        error(v6 + "\"IPv6Network\":\"fc00::/125\"}"));
    assertEquals("IPv6SubnetMin is not in the range of the IPv6Network",
        error(v6 + "\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMin\":\"fd00::\"}"));
    assertEquals("IPv6SubnetMax is not in the range of the IPv6Network",
        error(v6 + "\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMax\":\"fd00::\"}"));
    assertEquals("IPv6SubnetMin is not on a SubnetLen boundary: fc00:0:0:1::1",
        error(v6 + "\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMin\":\"fc00:0:0:1::1\"}"));
    assertEquals("IPv6SubnetMax is not on a SubnetLen boundary: fc00:0:0:2::1",
        error(v6 + "\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMax\":\"fc00:0:0:2::1\"}"));
    assertEquals(66, NetworkConfig.parse(v6 + "\"IPv6Network\":\"fc00::/64\"}").ipv6SubnetLen());
  }

  @Test
  void compatibilityIsRangeAndLength() {
    NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\"}");
    assertTrue(c.isCompatible(Ip4Net.parse("10.5.1.0/24")));
    assertTrue(c.isCompatible(Ip4Net.parse("10.5.255.0/24")));
    assertFalse(c.isCompatible(Ip4Net.parse("10.5.0.0/24")), "the first subnet is never leased");
    assertFalse(c.isCompatible(Ip4Net.parse("10.5.2.0/25")));
    assertFalse(c.isCompatible(Ip4Net.parse("10.6.2.0/24")));
  }

  // ------------------------------------------------------------------ built, and written back

  @Test
  void aBuiltConfigHasTheDefaultsOfAParsedOne() {
    NetworkConfig built = NetworkConfig.builder().withNetwork(Ip4Net.parse("10.5.0.0/16")).withBackend("vxlan").build();
    assertEquals(NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}"), built);
    assertEquals(24, built.subnetLen());
    assertEquals(Ip4.parse("10.5.255.0"), built.subnetMax());
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "{\"Network\":\"10.5.0.0/16\"}",
      "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":26,\"SubnetMin\":\"10.5.1.0\",\"Backend\":{\"Type\":\"VXLAN\",\"VNI\":4096,\"DirectRouting\":true}}",
      "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"host-gw\"}}",
      "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/48\",\"IPv6SubnetLen\":60,\"Backend\":{\"Type\":\"vxlan\"}}",
      "{\"Network\":\"10.5.0.0/16\",\"EnableNFTables\":true,\"Backend\":{\"Type\":\"udp\",\"Port\":8286}}"})
  void toJsonIsReadBackIntoAnEqualConfig(String json) {
    NetworkConfig c = NetworkConfig.parse(json);
    NetworkConfig again = NetworkConfig.parse(c.toJson());
    assertEquals(c, again, c.toJson());
    assertEquals(c.toJson(), again.toJson());
    assertEquals(c.backend().getInt("VNI", 1), again.backend().getInt("VNI", 1));
  }

  @Test
  void theBuilderSetsEveryField() {
    NetworkConfig c = NetworkConfig.builder()
        .withNetwork(Ip4Net.parse("10.5.0.0/16")).withSubnetLen(26)
        .withSubnetMin(Ip4.parse("10.5.1.0")).withSubnetMax(Ip4.parse("10.5.100.0"))
        .withIpv6(true).withIpv6Network(io.overlaynet.ip.Ip6Net.parse("fd00:5::/56")).withIpv6SubnetLen(64)
        .withNftables(true)
        .withBackend("vxlan").withBackendOption("VNI", 4096).withBackendOption("DirectRouting", true)
        .build();
    assertEquals("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":26,\"SubnetMin\":\"10.5.1.0\",\"SubnetMax\":\"10.5.100.0\","
        + "\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\",\"IPv6SubnetLen\":64,\"IPv6SubnetMin\":\"fd00:5:0:1::\","
        + "\"IPv6SubnetMax\":\"fd00:5:0:ff::\",\"EnableNFTables\":true,"
        + "\"Backend\":{\"Type\":\"vxlan\",\"VNI\":4096,\"DirectRouting\":true}}", c.toJson());
    assertEquals(c, NetworkConfig.parse(c.toJson()));
    assertEquals(c.toJson(), c.json(), "a built config's text is its JSON");
    assertEquals(4096, c.backend().getInt("VNI", 1));
    assertTrue(c.backend().getBoolean("DirectRouting", false));
  }

  @Test
  void theBuilderRefusesWhatParseRefusesWithFlannelsMessages() {
    assertEquals("SubnetLen must be less than /31", assertThrows(NetworkConfigException.class,
        () -> NetworkConfig.builder().withNetwork(Ip4Net.parse("10.5.0.0/16")).withSubnetLen(31).build()).getMessage());
    assertEquals("please define a correct Network parameter in the flannel config", assertThrows(
        NetworkConfigException.class, () -> NetworkConfig.builder().build()).getMessage());
    assertEquals("SubnetMin is not in the range of the Network", assertThrows(NetworkConfigException.class,
        () -> NetworkConfig.builder().withNetwork(Ip4Net.parse("10.5.0.0/16")).withSubnetMin(Ip4.parse("10.6.1.0"))
            .build()).getMessage());
  }

  @Test
  void toBuilderChangesOneValueAndKeepsTheRest() {
    NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":7}}");
    NetworkConfig d = c.toBuilder().withSubnetLen(25).withSubnetMax(Ip4.ANY).build();
    assertEquals(25, d.subnetLen());
    assertEquals(Ip4.parse("10.5.255.128"), d.subnetMax(), "an unset SubnetMax is defaulted afresh");
    assertEquals(7, d.backend().getInt("VNI", 1));
    assertFalse(c.equals(d));
  }
}
