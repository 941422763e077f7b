package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import org.junit.jupiter.api.Test;

class VxlanConfigTest {

  private static VxlanConfig parse(String backend) {
    return VxlanConfig.parse(NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":" + backend + "}").backend());
  }

  @Test
  void defaultsAreFlannels() {
    VxlanConfig c = parse("{\"Type\":\"vxlan\"}");
    assertEquals(new VxlanConfig(1, 0, false, false, false, 0), c);
    assertEquals("flannel.1", c.deviceName());
    assertEquals(1450, c.deviceMtu(1500));
    assertEquals(8472, c.effectivePort());
    assertEquals("VNI=1 Port=0 GBP=false Learning=false DirectRouting=false", c.toString());
  }

  @Test
  void optionsMatchCaseInsensitively() {
    VxlanConfig c = parse("{\"Type\":\"vxlan\",\"vni\":42,\"port\":4789,\"gbp\":true,\"LEARNING\":true,"
        + "\"directRouting\":true,\"mtu\":9000}");
    assertEquals(new VxlanConfig(42, 4789, true, true, true, 9000), c);
    assertEquals("flannel.42", c.deviceName());
    assertEquals(8950, c.deviceMtu(1500), "the configured MTU wins over the underlay's");
    assertEquals(4789, c.effectivePort());
  }

  @Test
  void rejectsOutOfRangeValues() {
    assertThrows(NetworkConfigException.class, () -> parse("{\"Type\":\"vxlan\",\"VNI\":16777216}"));
    assertThrows(NetworkConfigException.class, () -> parse("{\"Type\":\"vxlan\",\"Port\":70000}"));
    assertThrows(NetworkConfigException.class, () -> parse("{\"Type\":\"vxlan\",\"MTU\":100}"));
    assertThrows(NetworkConfigException.class, () -> parse("{\"Type\":\"vxlan\",\"DirectRouting\":\"yes\"}"));
  }

  @Test
  void directRoutingFlag() {
    assertTrue(parse("{\"Type\":\"vxlan\",\"DirectRouting\":true}").directRouting());
    assertFalse(parse("{\"Type\":\"vxlan\",\"DirectRouting\":false}").directRouting());
  }
}
