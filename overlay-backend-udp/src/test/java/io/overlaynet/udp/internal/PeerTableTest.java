package io.overlaynet.udp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.udp.internal.PeerTable.Peer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Longest-prefix match and the source checks of the peer table. */
class PeerTableTest {

  static Peer peer(String subnet, String ip) {
    return new Peer(Ip4Net.parse(subnet), Ip4.parse(ip));
  }

  static int ip(String s) {
    return Ip4.parse(s).toInt();
  }

  @Test
  void longestPrefixWinsWhateverTheOrder() {
    Peer wide = peer("10.5.0.0/16", "192.0.2.11");
    Peer narrow = peer("10.5.7.0/24", "192.0.2.12");
    Peer host = peer("10.5.7.9/32", "192.0.2.13");
    for (PeerTable t : List.of(PeerTable.of(List.of(wide, narrow, host)), PeerTable.of(List.of(host, narrow, wide)))) {
      assertEquals(host, t.route(ip("10.5.7.9")));
      assertEquals(narrow, t.route(ip("10.5.7.10")));
      assertEquals(wide, t.route(ip("10.5.8.1")));
      assertNull(t.route(ip("10.6.0.1")));
    }
  }

  @Test
  void getFindsExactlyTheSubnet() {
    Peer narrow = peer("10.5.7.0/24", "192.0.2.12");
    PeerTable t = PeerTable.of(List.of(peer("10.5.0.0/16", "192.0.2.11"), narrow));
    assertEquals(narrow, t.get(Ip4Net.parse("10.5.7.0/24")));
    assertNull(t.get(Ip4Net.parse("10.5.8.0/24")), "no longest-prefix match here");
  }

  @Test
  void highAddressesSortUnsigned() {
    Peer a = peer("200.1.0.0/24", "192.0.2.11");
    Peer b = peer("10.1.0.0/24", "192.0.2.12");
    Peer c = peer("128.0.0.0/24", "192.0.2.13");
    PeerTable t = PeerTable.of(List.of(a, b, c));
    assertEquals(a, t.route(ip("200.1.0.77")));
    assertEquals(b, t.route(ip("10.1.0.1")));
    assertEquals(c, t.route(ip("128.0.0.1")));
    assertTrue(t.accepts(ip("192.0.2.11"), ip("200.1.0.5")));
  }

  @Test
  void copyOnWriteUpdates() {
    PeerTable t0 = PeerTable.EMPTY;
    PeerTable t1 = t0.with(peer("10.5.1.0/24", "192.0.2.11"));
    PeerTable t2 = t1.with(peer("10.5.1.0/24", "192.0.2.99"));
    assertEquals(0, t0.size());
    assertEquals(1, t1.size());
    assertEquals(Ip4.parse("192.0.2.11"), t1.route(ip("10.5.1.3")).publicIp());
    assertEquals(Ip4.parse("192.0.2.99"), t2.route(ip("10.5.1.3")).publicIp());
    assertSame(t2, t2.with(peer("10.5.1.0/24", "192.0.2.99")));
    PeerTable t3 = t2.without(Ip4Net.parse("10.5.1.0/24"));
    assertNull(t3.route(ip("10.5.1.3")));
    assertSame(t3, t3.without(Ip4Net.parse("10.5.1.0/24")));
  }

  @Test
  void sourceChecks() {
    PeerTable t = PeerTable.of(List.of(peer("10.5.1.0/24", "192.0.2.11"), peer("10.5.2.0/24", "192.0.2.12"),
        peer("10.5.3.0/24", "192.0.2.12")));
    assertTrue(t.isPeer(ip("192.0.2.11")));
    assertFalse(t.isPeer(ip("192.0.2.99")));
    assertTrue(t.accepts(ip("192.0.2.11"), ip("10.5.1.7")));
    assertFalse(t.accepts(ip("192.0.2.11"), ip("10.5.2.7")), "inner source of another peer");
    assertTrue(t.accepts(ip("192.0.2.12"), ip("10.5.2.7")));
    assertTrue(t.accepts(ip("192.0.2.12"), ip("10.5.3.7")), "two leases behind one public IP");
    assertFalse(t.accepts(ip("192.0.2.99"), ip("10.5.1.7")));
  }

  @Test
  void randomTablesAgreeWithLinearLongestPrefixMatch() {
    Random r = new Random(7);
    for (int round = 0; round < 200; round++) {
      List<Peer> peers = new ArrayList<>();
      for (int i = 0; i < 1 + r.nextInt(40); i++) {
        int len = 8 + r.nextInt(25);
        peers.add(new Peer(Ip4Net.of(Ip4.of(0x0a000000 | r.nextInt(1 << 20) << 4), len), Ip4.of(r.nextInt())));
      }
      PeerTable t = PeerTable.of(peers);
      List<Peer> unique = t.peers();
      for (int q = 0; q < 200; q++) {
        int dst = 0x0a000000 | r.nextInt(1 << 24);
        Peer best = null;
        for (Peer p : unique) {
          if (p.contains(dst) && (best == null || p.subnet().prefixLength() > best.subnet().prefixLength())) {
            best = p;
          }
        }
        assertEquals(best, t.route(dst));
      }
    }
  }
}
