package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.MacAddress;
import org.junit.jupiter.api.Test;

class VtepDataTest {

  @Test
  void encodesFlannelsExactBytes() {
    VtepData d = new VtepData(1, MacAddress.parse("D2:65:D5:8B:00:6F"));
    assertEquals("{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}", d.toJson());
  }

  @Test
  void leaseValueMatchesWhatFlanneldStored() {
    // Part B1 of the reference: the exact etcd value of a vxlan lease.
    LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.0.2.11"))
        .withBackend("vxlan", new VtepData(1, MacAddress.parse("d2:65:d5:8b:00:6f")).toJson());
    assertEquals("{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}}", LeaseCodec.toJson(attrs));
  }

  @Test
  void parsesCaseInsensitivelyAsGoDoes() {
    VtepData d = VtepData.parse("{\"vni\":7,\"vtepmac\":\"92:DC:75:59:97:4A\",\"extra\":true}");
    assertEquals(7, d.vni());
    assertEquals(MacAddress.parse("92:dc:75:59:97:4a"), d.vtepMac());
  }

  @Test
  void roundTrips() {
    VtepData d = new VtepData(4096, MacAddress.parse("02:00:00:00:02:0d"));
    assertEquals(d, VtepData.parse(d.toJson()));
  }

  @Test
  void rejectsMissingOrInvalidMac() {
    assertThrows(IllegalArgumentException.class, () -> VtepData.parse("{\"VNI\":1}"));
    assertThrows(IllegalArgumentException.class, () -> VtepData.parse("{\"VNI\":1,\"VtepMAC\":\"zz\"}"));
    assertThrows(IllegalArgumentException.class, () -> VtepData.parse("[1]"));
    assertThrows(IllegalArgumentException.class, () -> VtepData.parse("{not json"));
  }
}
