package io.overlaynet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Golden values are the exact bytes flanneld v0.20.2 stored (reference B1 and §2.2). */
class LeaseCodecTest {

  static final String VXLAN =
      "{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}}";
  static final String UDP = "{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null}";
  static final String HOST_GW = "{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}";

  @Test
  void writesFlannelsExactBytes() {
    Ip4 ip = Ip4.parse("192.0.2.11");
    assertEquals(VXLAN, LeaseCodec.toJson(LeaseAttrs.of(ip).withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}")));
    assertEquals(UDP, LeaseCodec.toJson(LeaseAttrs.of(ip)));
    assertEquals(HOST_GW, LeaseCodec.toJson(LeaseAttrs.of(ip).withBackend("host-gw", null)));
  }

  /** B12: flanneld's IPv6-only key has 0.0.0.0-24 as its IPv4 part. */
  @Test
  void ipv6OnlyKeysReadAndWriteAsFlanneldDoes() {
    Ip6Net v6 = Ip6Net.parse("fd00:5:0:f::/64");
    assertEquals("0.0.0.0-24&fd00:5:0:f::-64", LeaseCodec.subnetKey(Ip4Net.EMPTY, Optional.of(v6)));
    assertEquals(new LeaseCodec.SubnetKey(Ip4Net.EMPTY, Optional.of(v6)), LeaseCodec.parseSubnetKey("0.0.0.0-24&fd00:5:0:f::-64"));
    assertEquals(new LeaseCodec.SubnetKey(Ip4Net.EMPTY, Optional.of(v6)), LeaseCodec.parseSubnetKey("0.0.0.0-0&fd00:5:0:f::-64"));
    LeaseAttrs a = LeaseAttrs.of(Ip4.ANY);
    assertEquals("fd00:5:0:f::/64", new Lease(Ip4Net.EMPTY, Optional.of(v6), a, Optional.empty()).subnetsText());
    assertEquals("10.5.72.0/24 fd00:5:0:f::/64",
        new Lease(Ip4Net.parse("10.5.72.0/24"), Optional.of(v6), a, Optional.empty()).subnetsText());
    assertEquals("10.5.72.0/24", Lease.of(Ip4Net.parse("10.5.72.0/24"), a).subnetsText());
    assertEquals("10.5.72.0-24&fd00:5:0:3a::-64",
        LeaseCodec.subnetKey(Ip4Net.parse("10.5.72.0/24"), Optional.of(Ip6Net.parse("fd00:5:0:3a::/64"))));
  }

  @Test
  void backendDataIsCompactedLikeGoRawMessage() {
    LeaseAttrs a = LeaseAttrs.of(Ip4.parse("192.0.2.11")).withBackend("vxlan", "{ \"VNI\" : 1 ,\n \"VtepMAC\": \"d2:65:d5:8b:00:6f\" }");
    assertEquals(VXLAN, LeaseCodec.toJson(a));
  }

  @Test
  void readsWhatItWritesAndWhatFlannelWrites() {
    for (String golden : new String[] {VXLAN, UDP, HOST_GW}) {
      assertEquals(golden, LeaseCodec.toJson(LeaseCodec.parseAttrs(golden)));
    }
    LeaseAttrs a = LeaseCodec.parseAttrs(VXLAN);
    assertEquals("vxlan", a.backendType());
    assertEquals(Optional.of("{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}"), a.backendData());
  }

  @Test
  void dualStackValue() {
    LeaseAttrs a = LeaseAttrs.of(Ip4.parse("192.168.64.3")).withPublicIpv6(Ip6.parse("fd00::3"))
        .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}")
        .withBackendV6Data("{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:45\"}");
    String json = LeaseCodec.toJson(a);
    assertEquals("{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":\"fd00::3\",\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"},"
        + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:45\"}}", json);
    assertEquals(a, LeaseCodec.parseAttrs(json));
  }

  @Test
  void readingIsCaseInsensitiveAndIgnoresUnknownKeys() {
    LeaseAttrs a = LeaseCodec.parseAttrs("{\"publicip\":\"192.0.2.12\",\"backendtype\":\"host-gw\",\"Extra\":{\"a\":1}}");
    assertEquals(Ip4.parse("192.0.2.12"), a.publicIp());
    assertEquals("host-gw", a.backendType());
  }

  @Test
  void garbageValuesAreRejectedWithTheReason() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LeaseCodec.parseAttrs("not json{"))
        .getMessage().startsWith("lease value is not valid JSON"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LeaseCodec.parseAttrs("[1,2]"))
        .getMessage().startsWith("lease value is not a JSON object"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LeaseCodec.parseAttrs("{\"PublicIP\":\"300.1.1.1\"}"))
        .getMessage().startsWith("invalid IPv4 address"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LeaseCodec.parseAttrs("{\"PublicIP\":7}"))
        .getMessage().startsWith("PublicIP is not a string"));
  }

  @Test
  void subnetKeysBothWays() {
    assertEquals("10.5.2.0-24", LeaseCodec.subnetKey(Ip4Net.parse("10.5.2.0/24"), Optional.empty()));
    assertEquals("10.12.13.0-24&fd00:12:13::-56",
        LeaseCodec.subnetKey(Ip4Net.parse("10.12.13.0/24"), Optional.of(Ip6Net.parse("fd00:12:13::/56"))));
    LeaseCodec.SubnetKey k = LeaseCodec.parseSubnetKey("10.12.13.0-24&fd00:12:13::-56");
    assertEquals(Ip4Net.parse("10.12.13.0/24"), k.subnet());
    assertEquals(Optional.of(Ip6Net.parse("fd00:12:13::/56")), k.ipv6Subnet());
    assertEquals(new LeaseCodec.SubnetKey(Ip4Net.parse("10.5.96.0/24"), Optional.empty()),
        LeaseCodec.parseSubnetKey("10.5.96.0-24"));
    for (String bad : new String[] {"10.5.2.0", "10.5.2.0-24x", "garbage", "10.5.2.0-99", "10.5.2.0-24&FD00::-64", ""}) {
      assertTrue(assertThrows(IllegalArgumentException.class, () -> LeaseCodec.parseSubnetKey(bad))
          .getMessage().startsWith("not a subnet key: " + bad), bad);
    }
  }
}
