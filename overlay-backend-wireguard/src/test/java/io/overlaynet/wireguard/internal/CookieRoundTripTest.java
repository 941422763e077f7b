package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.CookieVectors.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.wireguard.internal.CookieChecker.Verdict;
import io.overlaynet.wireguard.internal.CookieJar.Outcome;
import io.overlaynet.wireguard.internal.CookieVectors.FakeClock;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Both halves with real handshake messages from {@link Noise}: the responder under load answers
 * with a cookie reply, the initiator takes the cookie, and its next initiation carries a MAC2 the
 * responder accepts and still completes the handshake; the same for a response.
 */
class CookieRoundTripTest {

  final SecureRandom random = new SecureRandom();
  final FakeClock clock = new FakeClock();
  final PrivateKey a = PrivateKey.generate(random);
  final PrivateKey b = PrivateKey.generate(random);
  final Noise noiseOfA = new Noise(a, random);
  final Noise noiseOfB = new Noise(b, random);
  final CookieChecker checkerOfB = new CookieChecker(b.publicKey(), random, clock::nanos);
  final CookieJar jarOfAForB = new CookieJar(b.publicKey(), clock::nanos);
  final InetSocketAddress addressOfA = new InetSocketAddress(ip("198.51.100.7"), 40000);
  int nextIndex = 100;

  byte[] initiation() {
    byte[] msg = new byte[Messages.INITIATION_SIZE];
    noiseOfA.initiate(b.publicKey(), null, nextIndex++, Tai64n.of(Instant.ofEpochSecond(1_800_000_000L + nextIndex)), msg);
    jarOfAForB.writeMac2(msg, 0, msg.length);
    return msg;
  }

  /** What travels back: bytes on the wire, parsed as the initiator's receive path would. */
  static CookieReply wire(CookieReply reply) {
    return CookieReply.parse(ByteBuffer.wrap(reply.toBytes()), 0, Messages.COOKIE_REPLY_SIZE).value();
  }

  @Test
  void underLoadTheSecondInitiationCarriesAnAcceptedMac2() {
    byte[] first = initiation();
    assertEquals(Verdict.VALID, checkerOfB.check(first, 0, first.length, addressOfA, false));
    assertEquals(Verdict.NEEDS_COOKIE, checkerOfB.check(first, 0, first.length, addressOfA, true));
    CookieReply reply = wire(checkerOfB.createReply(first, 0, first.length, addressOfA));
    assertEquals(100, reply.receiver(), "addressed to the initiation's sender index");
    assertEquals(Outcome.ACCEPTED, jarOfAForB.consume(reply));

    clock.advance(Protocol.REKEY_TIMEOUT); // the retransmission
    byte[] second = initiation();
    assertEquals(Verdict.VALID_WITH_COOKIE, checkerOfB.check(second, 0, second.length, addressOfA, true));
    Noise.Initiated in = noiseOfB.consumeInitiation(second).orElseThrow();
    assertEquals(a.publicKey(), in.remoteStatic(), "MAC2 does not disturb the handshake");

    // From another address the same bytes are asked for a cookie again.
    InetSocketAddress spoofed = new InetSocketAddress(ip("198.51.100.8"), 40000);
    assertEquals(Verdict.NEEDS_COOKIE, checkerOfB.check(second, 0, second.length, spoofed, true));
    InetSocketAddress otherPort = new InetSocketAddress(ip("198.51.100.7"), 40001);
    assertEquals(Verdict.NEEDS_COOKIE, checkerOfB.check(second, 0, second.length, otherPort, true));
  }

  @Test
  void theCookieAndTheSecretExpire() {
    byte[] first = initiation();
    jarOfAForB.consume(wire(checkerOfB.createReply(first, 0, first.length, addressOfA))); // R born
    clock.advance(CookieJar.COOKIE_LIFETIME);
    byte[] late = initiation();
    assertArrayEquals(new byte[16], Arrays.copyOfRange(late, 132, 148), "the jar's cookie expired");
    assertEquals(Verdict.NEEDS_COOKIE, checkerOfB.check(late, 0, late.length, addressOfA, true));

    // 115 s into R's life: a new cookie under the same R, fresh in the jar for 115 s more; but R
    // itself lasts 5 s more only.
    jarOfAForB.consume(wire(checkerOfB.createReply(late, 0, late.length, addressOfA)));
    clock.advance(CookieJar.COOKIE_LATENCY.minusNanos(1));
    byte[] inTime = initiation();
    assertEquals(Verdict.VALID_WITH_COOKIE, checkerOfB.check(inTime, 0, inTime.length, addressOfA, true));
    clock.advance(Duration.ofNanos(1));
    byte[] tooLate = initiation();
    assertTrue(jarOfAForB.hasFreshCookie());
    assertEquals(Verdict.NEEDS_COOKIE, checkerOfB.check(tooLate, 0, tooLate.length, addressOfA, true),
        "the responder's secret is 120 s old");

    // The next reply brings a cookie under a new secret, and all is well again.
    jarOfAForB.consume(wire(checkerOfB.createReply(tooLate, 0, tooLate.length, addressOfA)));
    byte[] again = initiation();
    assertEquals(Verdict.VALID_WITH_COOKIE, checkerOfB.check(again, 0, again.length, addressOfA, true));
  }

  @Test
  void aResponseGetsACookieToo() {
    // B initiates and A responds; B, under load, asks A's response for a cookie, over IPv6.
    InetSocketAddress addressOfA6 = new InetSocketAddress(ip("2001:db8::a"), 51820);
    byte[] init = new byte[Messages.INITIATION_SIZE];
    Noise.Initiation state = noiseOfB.initiate(a.publicKey(), null, 7, Tai64n.of(Instant.EPOCH), init);
    Noise.Initiated in = noiseOfA.consumeInitiation(init).orElseThrow();
    byte[] resp = new byte[Messages.RESPONSE_SIZE];
    noiseOfA.respond(in, null, 8, resp);
    jarOfAForB.writeMac2(resp, 0, resp.length);

    assertEquals(Verdict.NEEDS_COOKIE, checkerOfB.check(resp, 0, resp.length, addressOfA6, true));
    CookieReply reply = wire(checkerOfB.createReply(resp, 0, resp.length, addressOfA6));
    assertEquals(8, reply.receiver(), "addressed to the response's sender index");
    assertEquals(Outcome.ACCEPTED, jarOfAForB.consume(reply));

    jarOfAForB.writeMac2(resp, 0, resp.length); // the same response, now with MAC2
    assertEquals(Verdict.VALID_WITH_COOKIE, checkerOfB.check(resp, 0, resp.length, addressOfA6, true));
    assertTrue(noiseOfB.consumeResponse(state, resp).isPresent(), "MAC2 does not disturb the handshake");
  }
}
