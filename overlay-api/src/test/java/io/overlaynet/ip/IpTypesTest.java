package io.overlaynet.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IpTypesTest {

  @Test
  void ip4ParsesAndPrints() {
    Ip4 a = Ip4.parse("10.5.2.0");
    assertEquals("10.5.2.0", a.toString());
    assertEquals(Ip4.of(10, 5, 2, 0), a);
    assertEquals("10.5.2.1", a.plus(1).toString());
    assertEquals("255.255.255.255", Ip4.parse("255.255.255.255").toString());
    assertEquals("0.0.0.0", Ip4.ANY.toString());
  }

  @Test
  void ip4RejectsNonLiterals() {
    for (String bad : new String[] {"", "10.5.2", "10.5.2.256", "localhost", "fd00::1", "1.2.3.4/24", " ", "01.2.3.4x"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ip4.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("invalid IPv4 address: "), e.getMessage());
    }
  }

  @Test
  void ip4NetMasksHostBitsLikeGoParseCidr() {
    assertEquals("10.5.72.0/24", Ip4Net.parse("10.5.72.1/24").toString());
    assertEquals(Ip4Net.parse("10.5.0.0/16"), Ip4Net.of(Ip4.parse("10.5.255.255"), 16));
  }

  @Test
  void ip4NetOperations() {
    Ip4Net net = Ip4Net.parse("10.5.0.0/16");
    Ip4Net first = Ip4Net.of(net.address(), 24);
    assertEquals("10.5.1.0/24", first.next().toString());
    assertTrue(net.contains(first.next()));
    assertTrue(net.contains(Ip4.parse("10.5.255.255")));
    assertFalse(net.contains(Ip4.parse("10.6.0.0")));
    assertTrue(net.overlaps(Ip4Net.parse("10.0.0.0/8")));
    assertTrue(Ip4Net.parse("10.0.0.0/8").overlaps(net));
    assertFalse(net.overlaps(Ip4Net.parse("10.6.0.0/16")));
    assertEquals(65536, net.size());
    assertEquals("10.5.255.255", net.lastAddress().toString());
    assertEquals("255.255.0.0", net.netmask().toString());
    assertEquals("10.6.0.0/16", net.next().toString());
    assertTrue(Ip4Net.EMPTY.isEmpty());
    assertEquals("0.0.0.0/0", Ip4Net.parse("0.0.0.0/0").toString());
  }

  @Test
  void ip4NetRejectsBadCidrs() {
    for (String bad : new String[] {"10.5.0.0", "10.5.0.0/33", "10.5.0.0/-1", "10.5.0.0/", "/16", "fd00::/64", "a/b"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ip4Net.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("invalid IPv4 CIDR: "), e.getMessage());
    }
  }

  @Test
  void ip6PrintsCompressedLowerCaseLikeGo() {
    assertEquals("fd00:12:13::", Ip6.parse("FD00:0012:0013:0:0:0:0:0").toString());
    assertEquals("fc00:0:0:1::", Ip6.parse("fc00:0:0:1:0:0:0:0").toString());
    assertEquals("::", Ip6.ANY.toString());
    assertEquals("fd00::1", Ip6.parse("fd00::").plus(1).toString());
    assertThrows(IllegalArgumentException.class, () -> Ip6.parse("10.5.0.1"));
    assertThrows(IllegalArgumentException.class, () -> Ip6.parse("fd00::g"));
  }

  @Test
  void ip6NetOperations() {
    Ip6Net net = Ip6Net.parse("fc00::/48");
    Ip6Net first = Ip6Net.of(net.address(), 64);
    assertEquals("fc00:0:0:1::/64", first.next().toString());
    assertEquals("fc00:0:1::/48", net.next().toString());
    assertTrue(net.contains(first.next()));
    assertFalse(net.contains(Ip6Net.parse("fc00:0:1::/64")));
    assertTrue(net.overlaps(Ip6Net.parse("fc00::/16")));
    assertEquals("fd00::/8", Ip6Net.parse("fd12::1/8").toString());
    assertEquals("fd00::1/128", Ip6Net.parse("fd00::1/128").toString());
    assertThrows(IllegalArgumentException.class, () -> Ip6Net.parse("fd00::/129"));
  }

  @Test
  void genericParsersPickTheFamily() {
    assertTrue(IpAddress.parse("192.0.2.1") instanceof Ip4);
    assertTrue(IpAddress.parse("fd00::1") instanceof Ip6);
    assertTrue(IpNet.parse("10.5.0.0/16") instanceof Ip4Net);
    assertTrue(IpNet.parse("fd00::/64") instanceof Ip6Net);
    assertEquals(Ip4.parse("192.0.2.1"), IpAddress.fromBytes(new byte[] {(byte) 192, 0, 2, 1}));
  }

  @Test
  void macAddress() {
    MacAddress mac = MacAddress.parse("D2:65:D5:8B:00:6F");
    assertEquals("d2:65:d5:8b:00:6f", mac.toString());
    assertEquals(mac, MacAddress.fromBytes(mac.toBytes()));
    assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("d2:65:d5:8b:00"));
    assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("d2-65-d5-8b-00-6f"));
    Random r = new Random(1);
    for (int i = 0; i < 100; i++) {
      MacAddress m = MacAddress.randomLocallyAdministered(r);
      assertTrue(m.isLocallyAdministered());
      assertFalse(m.isMulticast());
    }
  }
}
