package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The handshake between two of our endpoints: keys agree, tampering and wrong keys are refused. */
class NoiseTest {

  final SecureRandom random = new SecureRandom();
  final PrivateKey a = PrivateKey.generate(random);
  final PrivateKey b = PrivateKey.generate(random);
  final Noise initiator = new Noise(a, random);
  final Noise responder = new Noise(b, random);
  final Tai64n now = Tai64n.of(Instant.parse("2026-12-01T12:00:00Z"));

  /** Whether {@code msg}'s MAC1 is for {@code key}'s owner (what the device checks first). */
  boolean mac1For(PrivateKey key, byte[] msg) {
    return new CookieChecker(key.publicKey(), random, System::nanoTime).mac1Valid(msg, 0, msg.length);
  }

  Noise.Keypair[] handshake(PresharedKey pskA, PresharedKey pskB) {
    byte[] init = new byte[Messages.INITIATION_SIZE];
    Noise.Initiation st = initiator.initiate(b.publicKey(), pskA, 0x11223344, now, init);
    assertTrue(mac1For(b, init));
    Noise.Initiated in = responder.consumeInitiation(init).orElseThrow();
    assertEquals(a.publicKey(), in.remoteStatic());
    assertEquals(now, in.timestamp());
    assertEquals(0x11223344, in.remoteIndex());
    byte[] resp = new byte[Messages.RESPONSE_SIZE];
    Noise.Keypair kb = responder.respond(in, pskB, 0x55667788, resp);
    assertTrue(mac1For(a, resp));
    Optional<Noise.Keypair> ka = initiator.consumeResponse(st, resp);
    return new Noise.Keypair[] {ka.orElse(null), kb};
  }

  @Test
  void bothSidesDeriveTheSameTransportKeys() {
    Noise.Keypair[] k = handshake(null, null);
    assertArrayEquals(k[0].sendKey(), k[1].receiveKey());
    assertArrayEquals(k[0].receiveKey(), k[1].sendKey());
    assertFalse(java.util.Arrays.equals(k[0].sendKey(), k[0].receiveKey()));
    assertEquals(0x55667788, k[0].remoteIndex());
    assertEquals(0x11223344, k[1].remoteIndex());
    assertTrue(k[0].initiator());
  }

  @Test
  void aPresharedKeyMustMatch() {
    PresharedKey psk = PresharedKey.generate(random);
    Noise.Keypair[] same = handshake(psk, psk);
    assertArrayEquals(same[0].sendKey(), same[1].receiveKey());
    Noise.Keypair[] differ = handshake(psk, PresharedKey.generate(random));
    assertEquals(null, differ[0], "the initiator refuses a response made with another PSK");
  }

  @Test
  void tamperingAndTheWrongResponderAreRefused() {
    byte[] init = new byte[Messages.INITIATION_SIZE];
    initiator.initiate(b.publicKey(), null, 1, now, init);
    for (int i : new int[] {Messages.INITIATION_EPHEMERAL, Messages.INITIATION_STATIC, Messages.INITIATION_TIMESTAMP}) {
      byte[] bad = init.clone();
      bad[i + 3] ^= 1;
      assertTrue(responder.consumeInitiation(bad).isEmpty(), "flipped byte at " + (i + 3));
      assertFalse(mac1For(b, bad));
    }
    PrivateKey otherKey = PrivateKey.generate(random);
    Noise other = new Noise(otherKey, random);
    assertFalse(mac1For(otherKey, init), "MAC1 names the responder's key");
    assertTrue(other.consumeInitiation(init).isEmpty());
  }
}
