package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.CookieVectors.COOKIE;
import static io.overlaynet.wireguard.internal.CookieVectors.HEX;
import static io.overlaynet.wireguard.internal.CookieVectors.MESSAGE;
import static io.overlaynet.wireguard.internal.CookieVectors.REPLY;
import static io.overlaynet.wireguard.internal.CookieVectors.RESPONDER;
import static io.overlaynet.wireguard.internal.CookieVectors.messageWithoutMac2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.wireguard.internal.CookieJar.Outcome;
import io.overlaynet.wireguard.internal.CookieVectors.FakeClock;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The sender's side alone: consuming a cookie reply made by Python ({@link CookieVectors}), MAC2
 * while the cookie is fresh, and every reply that must be refused.
 */
class CookieJarTest {

  static final byte[] ZERO_MAC = new byte[16];

  final FakeClock clock = new FakeClock();
  final CookieJar jar = new CookieJar(RESPONDER, clock::nanos);

  static CookieReply reply(String hex) {
    return CookieReply.parse(ByteBuffer.wrap(HEX.parseHex(hex)), 0, 64).value();
  }

  static byte[] mac2(byte[] msg) {
    return Arrays.copyOfRange(msg, Messages.INITIATION_MAC2, Messages.INITIATION_SIZE);
  }

  @Test
  void consumesPythonsReplyAndWritesPythonsMac2() {
    byte[] msg = messageWithoutMac2();
    jar.writeMac2(msg, 0, msg.length);
    assertArrayEquals(ZERO_MAC, mac2(msg), "no cookie yet: MAC2 is zero");
    assertFalse(jar.hasFreshCookie());

    assertEquals(Outcome.ACCEPTED, jar.consume(reply(REPLY)));
    assertTrue(jar.hasFreshCookie());
    jar.writeMac2(msg, 0, msg.length);
    assertEquals(MESSAGE, HEX.formatHex(msg), "MAC2 = MAC(cookie, msg[0, 132)) as Python has it");
  }

  @Test
  void writesMac2InPlaceAtAnOffsetAndOverwritesGarbage() {
    jar.writeMac2(messageWithoutMac2(), 0, 148);
    jar.consume(reply(REPLY));
    byte[] buf = new byte[160];
    System.arraycopy(messageWithoutMac2(), 0, buf, 9, 148);
    Arrays.fill(buf, 9 + Messages.INITIATION_MAC2, 9 + 148, (byte) 0x5a);
    jar.writeMac2(buf, 9, 148);
    assertEquals(MESSAGE, HEX.formatHex(buf, 9, 9 + 148));
    assertEquals(0, buf[8]);
    assertEquals(0, buf[157]);

    clock.advance(CookieJar.COOKIE_LIFETIME);
    Arrays.fill(buf, 9 + Messages.INITIATION_MAC2, 9 + 148, (byte) 0x5a);
    jar.writeMac2(buf, 9, 148);
    assertArrayEquals(ZERO_MAC, Arrays.copyOfRange(buf, 9 + 132, 9 + 148), "no cookie: zeros");
  }

  @Test
  void theCookieIsUsedFor115Seconds() {
    assertEquals(Duration.ofSeconds(115), CookieJar.COOKIE_LIFETIME);
    byte[] msg = messageWithoutMac2();
    jar.writeMac2(msg, 0, msg.length);
    jar.consume(reply(REPLY));
    clock.advance(CookieJar.COOKIE_LIFETIME.minusNanos(1));
    jar.writeMac2(msg, 0, msg.length);
    assertEquals(MESSAGE, HEX.formatHex(msg), "still fresh 1 ns before the end");
    clock.advance(Duration.ofNanos(1));
    jar.writeMac2(msg, 0, msg.length);
    assertArrayEquals(ZERO_MAC, mac2(msg), "expired");
    assertFalse(jar.hasFreshCookie());
    clock.advance(Duration.ofDays(-1)); // a clock that went back cannot revive a zeroed cookie
    assertFalse(jar.hasFreshCookie());
  }

  @Test
  void aReplyWithNothingSentIsRefused() {
    assertEquals(Outcome.NOTHING_PENDING, jar.consume(reply(REPLY)));
  }

  @Test
  void aReplayedReplyIsRefused() {
    byte[] msg = messageWithoutMac2();
    jar.writeMac2(msg, 0, msg.length);
    assertEquals(Outcome.ACCEPTED, jar.consume(reply(REPLY)));
    clock.advance(Duration.ofSeconds(100));
    assertEquals(Outcome.NOTHING_PENDING, jar.consume(reply(REPLY)), "a replay must not refresh the cookie");
    clock.advance(Duration.ofSeconds(15));
    assertFalse(jar.hasFreshCookie(), "the cookie still dates from the first reply");
  }

  @Test
  void forgedRepliesAreRefusedAndDoNotCancelTheRealOne() {
    byte[] msg = messageWithoutMac2();
    jar.writeMac2(msg, 0, msg.length);
    byte[] real = HEX.parseHex(REPLY);
    for (int i = Messages.COOKIE_NONCE; i < 64; i++) { // every bit of nonce, cookie or tag matters
      byte[] forged = real.clone();
      forged[i] ^= 1;
      assertEquals(Outcome.NOT_AUTHENTIC, jar.consume(reply(HEX.formatHex(forged))), "byte " + i);
    }
    byte[] otherReceiver = real.clone();
    otherReceiver[4] ^= 1;
    assertEquals(Outcome.WRONG_RECEIVER, jar.consume(reply(HEX.formatHex(otherReceiver))));
    // A reply made by another responder (another cookie key) for this very message.
    PublicKey stranger = PrivateKey.generate().publicKey();
    CookieReply theirs = new CookieChecker(stranger, new SecureRandom(), clock::nanos)
        .createReply(msg, 0, msg.length, CookieVectors.SOURCE);
    assertEquals(Outcome.NOT_AUTHENTIC, jar.consume(theirs));
    assertFalse(jar.hasFreshCookie());

    assertEquals(Outcome.ACCEPTED, jar.consume(reply(REPLY)), "the real reply still counts");
  }

  @Test
  void aReplyToAnEarlierMessageIsRefused() {
    byte[] msg = messageWithoutMac2();
    jar.writeMac2(msg, 0, msg.length);
    // We retransmit (a new initiation, same sender index here, another MAC1) before the reply
    // to the first comes: the reply is bound to the first MAC1 and is now useless.
    byte[] next = msg.clone();
    next[Messages.INITIATION_EPHEMERAL] ^= 1;
    WgCrypto.mac(WgCrypto.labelledKey(WgCrypto.LABEL_MAC1, RESPONDER.bytes()), next, 0,
        Messages.INITIATION_MAC1, next, Messages.INITIATION_MAC1);
    jar.writeMac2(next, 0, next.length);
    assertEquals(Outcome.NOT_AUTHENTIC, jar.consume(reply(REPLY)));
  }

  @Test
  void refusesWhatIsNotAFramedHandshakeMessage() {
    assertThrows(IllegalArgumentException.class, () -> jar.writeMac2(HEX.parseHex(REPLY), 0, 64));
    assertThrows(IllegalArgumentException.class, () -> jar.writeMac2(new byte[148], 0, 148));
  }

  @Test
  void toStringShowsNoCookie() {
    byte[] msg = messageWithoutMac2();
    jar.writeMac2(msg, 0, msg.length);
    assertEquals("CookieJar[" + RESPONDER.toBase64() + ", no cookie, awaiting reply]", jar.toString());
    jar.consume(reply(REPLY));
    String s = jar.toString();
    assertEquals("CookieJar[" + RESPONDER.toBase64() + ", cookie]", s);
    assertFalse(s.toLowerCase().contains(COOKIE));
  }
}
