package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.IpNet;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Transport sessions (seal, open, replay, confirmation) and the cryptokey routing table. */
class SessionTest {

  static Session[] pair() {
    byte[] k1 = new byte[32];
    byte[] k2 = new byte[32];
    new SecureRandom().nextBytes(k1);
    new SecureRandom().nextBytes(k2);
    Session initiator = new Session(new Noise.Keypair(k1.clone(), k2.clone(), 1, 2, true), 0);
    Session responder = new Session(new Noise.Keypair(k2.clone(), k1.clone(), 2, 1, false), 0);
    return new Session[] {initiator, responder};
  }

  @Test
  void sealedPacketsOpenOnceAndOnlyUntampered() {
    Session[] s = pair();
    assertFalse(s[1].canSend(1), "a responder sends only after the initiator did");
    byte[] out = new byte[128];
    int n = s[0].seal(ByteBuffer.wrap("hello, peer".getBytes()), out);
    assertEquals(Messages.TRANSPORT_CONTENT + 16 + Messages.TAG_SIZE, n, "padded to 16 bytes");
    byte[] copy = Arrays.copyOf(out, n);
    byte[] replay = copy.clone();
    byte[] tampered = copy.clone();
    tampered[Messages.TRANSPORT_CONTENT + 2] ^= 1;
    assertEquals(Session.FORGED, s[1].open(tampered, n), "a flipped bit does not authenticate");
    assertFalse(s[1].canSend(1), "a forged message confirms nothing");
    assertEquals(16, s[1].open(copy, n));
    assertEquals("hello, peer", new String(copy, Messages.TRANSPORT_CONTENT, 11));
    assertTrue(s[1].canSend(1), "confirmed by the initiator's first message");
    assertEquals(Session.REPLAYED, s[1].open(replay, n), "a replayed counter, told apart from a forgery");
    byte[] forgedReplay = replay.clone();
    forgedReplay[Messages.TRANSPORT_CONTENT] ^= 1;
    assertEquals(Session.FORGED, s[1].open(forgedReplay, n), "a forgery of a seen counter is a forgery");
  }

  @Test
  void sessionsExpire() {
    Session[] s = pair();
    long reject = Protocol.REJECT_AFTER_TIME.toNanos();
    assertTrue(s[0].canSend(reject - 1));
    assertFalse(s[0].canSend(reject));
    assertFalse(s[0].canReceive(reject));
    assertTrue(s[0].wantsRekey(Protocol.REKEY_AFTER_TIME.toNanos()));
    assertFalse(s[1].wantsRekey(Protocol.REKEY_AFTER_TIME.toNanos()), "only the initiator rekeys by time");
  }

  @Test
  void scaledTimersSetASessionsAgeLimits() {
    Protocol.Timers fast = Protocol.Timers.DEFAULT.withRekeyAfterTime(Duration.ofMillis(1500));
    Session s = new Session(new Noise.Keypair(new byte[32], new byte[32], 1, 2, true), 0, fast);
    assertFalse(s.wantsRekey(Duration.ofMillis(1499).toNanos()));
    assertTrue(s.wantsRekey(Duration.ofMillis(1500).toNanos()));
    assertTrue(s.canSend(Protocol.REJECT_AFTER_TIME.toNanos() - 1), "the other timers stay the paper's");
  }

  @Test
  void allowedIpsTakeTheLongestPrefix() {
    Map<IpNet, String> m = new LinkedHashMap<>();
    m.put(IpNet.parse("10.5.0.0/16"), "network");
    m.put(IpNet.parse("10.5.2.0/24"), "h2");
    m.put(IpNet.parse("10.5.2.7/32"), "one host");
    m.put(IpNet.parse("fd00:5:0:2::/64"), "h2v6");
    AllowedIps<String> t = AllowedIps.of(m);
    assertEquals("h2", t.lookup4(0x0a050209));
    assertEquals("one host", t.lookup4(0x0a050207));
    assertEquals("network", t.lookup4(0x0a050309));
    assertNull(t.lookup4(0x0a060001));
    ByteBuffer v6 = ByteBuffer.allocate(40);
    v6.put(0, (byte) 0x60);
    v6.put(24, new byte[] {(byte) 0xfd, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9});
    assertSame("h2v6", t.lookup(v6, false));
    assertNull(t.lookup(v6, true), "the source (all zeros) is no peer's");
  }
}
