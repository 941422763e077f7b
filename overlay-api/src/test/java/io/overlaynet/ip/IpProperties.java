package io.overlaynet.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class IpProperties {

  @Property
  void ip4TextRoundTrips(@ForAll int bits) {
    Ip4 a = Ip4.of(bits);
    assertEquals(a, Ip4.parse(a.toString()));
    assertEquals(a, Ip4.fromBytes(a.toBytes()));
  }

  @Property
  void ip4NetTextRoundTripsAndContainsItsAddresses(@ForAll int bits, @ForAll @IntRange(min = 0, max = 32) int len) {
    Ip4Net n = Ip4Net.of(Ip4.of(bits), len);
    assertEquals(n, Ip4Net.parse(n.toString()));
    assertTrue(n.contains(Ip4.of(bits)));
    assertTrue(n.contains(n.lastAddress()));
  }

  @Property
  void nextSubnetIsAdjacentAndDisjoint(@ForAll int bits, @ForAll @IntRange(min = 1, max = 32) int len) {
    Ip4Net n = Ip4Net.of(Ip4.of(bits), len);
    Ip4Net next = n.next();
    assertEquals(n.lastAddress().plus(1), next.address());
    assertTrue(!n.overlaps(next) && !next.overlaps(n), n + " overlaps " + next);
  }

  @Property
  void ip6TextRoundTrips(@ForAll long high, @ForAll long low, @ForAll @IntRange(min = 0, max = 128) int len) {
    Ip6 a = Ip6.of(high, low);
    assertEquals(a, Ip6.parse(a.toString()));
    assertEquals(a, Ip6.fromBytes(a.toBytes()));
    Ip6Net n = Ip6Net.of(a, len);
    assertEquals(n, Ip6Net.parse(n.toString()));
    assertTrue(n.contains(a));
  }
}
