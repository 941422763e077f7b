package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.CookieVectors.COOKIE;
import static io.overlaynet.wireguard.internal.CookieVectors.HEX;
import static io.overlaynet.wireguard.internal.CookieVectors.MESSAGE;
import static io.overlaynet.wireguard.internal.CookieVectors.NONCE;
import static io.overlaynet.wireguard.internal.CookieVectors.REPLY;
import static io.overlaynet.wireguard.internal.CookieVectors.RESPONDER;
import static io.overlaynet.wireguard.internal.CookieVectors.SECRET;
import static io.overlaynet.wireguard.internal.CookieVectors.SOURCE;
import static io.overlaynet.wireguard.internal.CookieVectors.ip;
import static io.overlaynet.wireguard.internal.CookieVectors.messageWithoutMac2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.wireguard.internal.CookieChecker.Verdict;
import io.overlaynet.wireguard.internal.CookieVectors.FakeClock;
import io.overlaynet.wireguard.internal.CookieVectors.ScriptedRandom;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The responder's side alone: the MAC checks, the cookie of a source, the reply, the secret's
 * rotation, against values made independently with Python ({@link CookieVectors}).
 */
class CookieCheckerTest {

  final FakeClock clock = new FakeClock();
  final ScriptedRandom random = new ScriptedRandom();
  final CookieChecker checker = new CookieChecker(RESPONDER, random, clock::nanos);

  @Test
  void theSourceIsTheAddressThenThePortLittleEndian() {
    // wireguard-go: netip.AddrPort.MarshalBinary, "the port in little-endian". 51820 = 0xca6c.
    assertEquals("c00002016cca", HEX.formatHex(CookieChecker.sourceBytes(SOURCE)));
    assertEquals("20010db800000000000000000000000101bb",
        HEX.formatHex(CookieChecker.sourceBytes(new InetSocketAddress(ip("2001:db8::1"), 0xbb01))));
    assertThrows(IllegalArgumentException.class,
        () -> CookieChecker.sourceBytes(InetSocketAddress.createUnresolved("example.org", 1)));
  }

  @Test
  void replyAndMac2MatchPython() {
    random.then(SECRET).then(NONCE);
    byte[] msg = HEX.parseHex(MESSAGE);
    CookieReply reply = checker.createReply(msg, 0, msg.length, SOURCE);
    assertEquals(REPLY, HEX.formatHex(reply.toBytes()));
    assertEquals(Verdict.VALID_WITH_COOKIE, checker.check(msg, 0, msg.length, SOURCE, true));
    // and the cookie inside is MAC(R, source): open the reply as its receiver would.
    byte[] cookie = new byte[16];
    assertTrue(Aead.xopen(WgCrypto.labelledKey(WgCrypto.LABEL_COOKIE, RESPONDER.bytes()), NONCE,
        reply.encryptedCookie(), 0, 32, Arrays.copyOfRange(msg, 116, 132), cookie, 0));
    assertEquals(COOKIE, HEX.formatHex(cookie));
  }

  @Test
  void mac1IsCheckedAlwaysAndMac2OnlyUnderLoad() {
    byte[] msg = messageWithoutMac2();
    assertTrue(checker.mac1Valid(msg, 0, msg.length));
    assertEquals(Verdict.VALID, checker.check(msg, 0, msg.length, SOURCE, false));
    assertEquals(Verdict.NEEDS_COOKIE, checker.check(msg, 0, msg.length, SOURCE, true));

    byte[] bad = msg.clone();
    bad[Messages.INITIATION_MAC1] ^= 1;
    assertEquals(Verdict.INVALID_MAC1, checker.check(bad, 0, bad.length, SOURCE, false));
    assertEquals(Verdict.INVALID_MAC1, checker.check(bad, 0, bad.length, SOURCE, true));
    CookieChecker other = new CookieChecker(PrivateKey.generate().publicKey(), random, clock::nanos);
    assertEquals(Verdict.INVALID_MAC1, other.check(msg, 0, msg.length, SOURCE, false),
        "MAC1 names the responder's key");
  }

  @Test
  void checksTheMac1NoiseWritesOnBothMessages() {
    PrivateKey a = PrivateKey.generate();
    PrivateKey b = PrivateKey.generate();
    Noise initiator = new Noise(a, new SecureRandom());
    Noise responder = new Noise(b, new SecureRandom());
    byte[] init = new byte[Messages.INITIATION_SIZE];
    initiator.initiate(b.publicKey(), null, 1, Tai64n.of(Instant.EPOCH), init);
    // Inside a larger buffer, at an offset: the receive path's layout.
    byte[] buf = new byte[200];
    System.arraycopy(init, 0, buf, 7, init.length);
    CookieChecker forB = new CookieChecker(b.publicKey(), random, clock::nanos);
    assertTrue(forB.mac1Valid(buf, 7, init.length));

    byte[] resp = new byte[Messages.RESPONSE_SIZE];
    responder.respond(responder.consumeInitiation(init).orElseThrow(), null, 2, resp);
    assertTrue(new CookieChecker(a.publicKey(), random, clock::nanos).mac1Valid(resp, 0, resp.length));
    assertFalse(forB.mac1Valid(resp, 0, resp.length), "the response's MAC1 is for the initiator");
  }

  @Test
  void theCookieIsBoundToTheSourceAddressAndPort() {
    random.then(SECRET).then(NONCE);
    byte[] msg = HEX.parseHex(MESSAGE); // MAC2 made for 192.0.2.1:51820
    checker.createReply(msg, 0, msg.length, SOURCE); // sets the secret
    assertEquals(Verdict.VALID_WITH_COOKIE, checker.check(msg, 0, msg.length, SOURCE, true));
    for (InetSocketAddress elsewhere : List.of(
        new InetSocketAddress(ip("192.0.2.2"), 51820),
        new InetSocketAddress(ip("192.0.2.1"), 51821),
        // the same port with its bytes swapped: proves the port is hashed in one order
        new InetSocketAddress(ip("192.0.2.1"), 0x6cca),
        new InetSocketAddress(ip("2001:db8::1"), 51820))) {
      assertEquals(Verdict.NEEDS_COOKIE, checker.check(msg, 0, msg.length, elsewhere, true),
          elsewhere.toString());
    }
  }

  @Test
  void aTamperedMessageFailsMac2EvenWithAFreshMac1() {
    random.then(SECRET).then(NONCE);
    byte[] msg = HEX.parseHex(MESSAGE);
    checker.createReply(msg, 0, msg.length, SOURCE);
    byte[] mac1Key = WgCrypto.labelledKey(WgCrypto.LABEL_MAC1, RESPONDER.bytes());
    // Anyone knowing our public key can redo MAC1 after changing the message; only the cookie's
    // holder can redo MAC2. Flip a byte of the body, of MAC1, and of MAC2 itself.
    for (int i : new int[] {5, Messages.INITIATION_STATIC + 3, Messages.INITIATION_MAC1, Messages.INITIATION_MAC2 + 15}) {
      byte[] bad = msg.clone();
      bad[i] ^= 0x40;
      if (i < Messages.INITIATION_MAC1) {
        WgCrypto.mac(mac1Key, bad, 0, Messages.INITIATION_MAC1, bad, Messages.INITIATION_MAC1);
      }
      Verdict v = checker.check(bad, 0, bad.length, SOURCE, true);
      assertEquals(i == Messages.INITIATION_MAC1 ? Verdict.INVALID_MAC1 : Verdict.NEEDS_COOKIE, v, "byte " + i);
      assertFalse(checker.mac2Valid(bad, 0, bad.length, SOURCE), "byte " + i);
    }
  }

  @Test
  void theSecretLivesTwoMinutesAndIsReplacedByTheNextReply() {
    byte[] msg = HEX.parseHex(MESSAGE);
    assertFalse(checker.mac2Valid(msg, 0, msg.length, SOURCE), "no secret before the first reply");
    random.then(SECRET).then(NONCE);
    checker.createReply(msg, 0, msg.length, SOURCE);
    clock.advance(Protocol.COOKIE_REFRESH_TIME.minusNanos(1));
    assertTrue(checker.mac2Valid(msg, 0, msg.length, SOURCE));
    clock.advance(Duration.ofNanos(1));
    assertFalse(checker.mac2Valid(msg, 0, msg.length, SOURCE), "the secret expired");
    assertEquals(Verdict.NEEDS_COOKIE, checker.check(msg, 0, msg.length, SOURCE, true));
    assertEquals(1, random.secrets.get(), "checking does not rotate");

    // The next reply draws a new secret; the old cookie stays worthless, a new one works.
    CookieReply second = checker.createReply(msg, 0, msg.length, SOURCE);
    assertEquals(2, random.secrets.get());
    assertFalse(checker.mac2Valid(msg, 0, msg.length, SOURCE));
    byte[] cookie = open(second, msg);
    byte[] again = msg.clone();
    WgCrypto.mac(cookie, again, 0, Messages.INITIATION_MAC2, again, Messages.INITIATION_MAC2);
    assertEquals(Verdict.VALID_WITH_COOKIE, checker.check(again, 0, again.length, SOURCE, true));
    checker.createReply(msg, 0, msg.length, SOURCE);
    assertEquals(2, random.secrets.get(), "a young secret is kept");
  }

  @Test
  void racingRepliesAgreeOnOneSecret() throws Exception {
    int threads = 8;
    // Every thread that draws a secret waits here until all have drawn one: all race to publish.
    CyclicBarrier allDrawing = new CyclicBarrier(threads);
    @SuppressWarnings("serial")
    SecureRandom rendezvous = new SecureRandom() {
      @Override
      public void nextBytes(byte[] out) {
        super.nextBytes(out);
        if (out.length == 32) {
          try {
            allDrawing.await(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }
      }
    };
    CookieChecker racy = new CookieChecker(RESPONDER, rendezvous, clock::nanos);
    byte[] msg = messageWithoutMac2();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<CookieReply>> replies = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        replies.add(pool.submit(() -> racy.createReply(msg, 0, msg.length, SOURCE)));
      }
      byte[] first = open(replies.get(0).get(10, TimeUnit.SECONDS), msg);
      for (Future<CookieReply> f : replies) {
        assertArrayEquals(first, open(f.get(10, TimeUnit.SECONDS), msg),
            "every reply carries the cookie of one secret");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theReplyGoesToTheSenderOfAResponseToo() {
    byte[] resp = new byte[Messages.RESPONSE_SIZE];
    resp[0] = 2;
    resp[4] = 0x11; // sender 0x00000011; receiver at 8 is not the one to answer
    resp[8] = 0x22;
    WgCrypto.mac(WgCrypto.labelledKey(WgCrypto.LABEL_MAC1, RESPONDER.bytes()), resp, 0,
        Messages.RESPONSE_MAC1, resp, Messages.RESPONSE_MAC1);
    assertEquals(Verdict.NEEDS_COOKIE, checker.check(resp, 0, resp.length, SOURCE, true));
    CookieReply reply = checker.createReply(resp, 0, resp.length, SOURCE);
    assertEquals(0x11, reply.receiver());
    assertEquals(16, open(reply, resp).length);
  }

  @Test
  void refusesWhatIsNotAFramedHandshakeMessage() {
    byte[] msg = HEX.parseHex(MESSAGE);
    assertThrows(IllegalArgumentException.class, () -> checker.check(msg, 0, 147, SOURCE, false));
    byte[] cookieReply = HEX.parseHex(REPLY);
    assertThrows(IllegalArgumentException.class, () -> checker.mac1Valid(cookieReply, 0, 64));
    byte[] reserved = msg.clone();
    reserved[1] = 1;
    assertThrows(IllegalArgumentException.class, () -> checker.mac1Valid(reserved, 0, 148));
    assertThrows(IndexOutOfBoundsException.class, () -> checker.mac1Valid(msg, 1, 148));
  }

  @Test
  void toStringShowsNoSecret() {
    random.then(SECRET).then(NONCE);
    byte[] msg = HEX.parseHex(MESSAGE);
    checker.createReply(msg, 0, msg.length, SOURCE);
    String s = checker.toString();
    assertEquals("CookieChecker[" + RESPONDER.toBase64() + "]", s);
  }

  /** The cookie inside a reply to {@code msg}, opened as its receiver would. */
  static byte[] open(CookieReply reply, byte[] msg) {
    MessageType type = CookieChecker.handshakeType(msg, 0, msg.length);
    byte[] cookie = new byte[16];
    assertTrue(Aead.xopen(WgCrypto.labelledKey(WgCrypto.LABEL_COOKIE, RESPONDER.bytes()), reply.nonce(),
        reply.encryptedCookie(), 0, 32, Arrays.copyOfRange(msg, type.mac1Offset(), type.mac2Offset()), cookie, 0));
    return cookie;
  }
}
