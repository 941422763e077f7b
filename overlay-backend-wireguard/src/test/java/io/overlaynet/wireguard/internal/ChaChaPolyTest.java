package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.AeadTest.AAD;
import static io.overlaynet.wireguard.internal.AeadTest.HEX;
import static io.overlaynet.wireguard.internal.AeadTest.SUNSCREEN;
import static io.overlaynet.wireguard.internal.AeadTest.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Our ChaCha20-Poly1305 against RFC 8439 §2.8.2, against Python's {@code cryptography} for
 * WireGuard's counter nonce, and against the JDK's cipher ({@link Aead}) for random keys, counters
 * and lengths, sealing and opening.
 */
class ChaChaPolyTest {

  @Test
  void rfc8439Section282() {
    ChaChaPoly c = new ChaChaPoly(bytes(0x80, 32));
    byte[] buf = Arrays.copyOf(SUNSCREEN, SUNSCREEN.length + 16);
    // Nonce 07000000 40414243 44454647 as three little-endian words.
    c.seal(0x00000007, 0x43424140, 0x47464544, AAD, buf, 0, SUNSCREEN.length);
    assertEquals(AeadTest.RFC8439_CIPHERTEXT + AeadTest.RFC8439_TAG, HEX.formatHex(buf));
    assertTrue(c.open(0x00000007, 0x43424140, 0x47464544, AAD, buf, 0, buf.length));
    assertArrayEquals(SUNSCREEN, Arrays.copyOf(buf, SUNSCREEN.length));
  }

  @Test
  void wireGuardCounterNonceMatchesPythonCryptography() {
    // The same vectors as AeadTest: ChaCha20Poly1305(bytes(range(32))) of b"wireguard".
    long[] counters = {0, 1, 0x0102030405060708L, -1L};
    String[] expected = {
        "6fd13054ca93c7a377ecd404b5390c6c9ada693415390e76c2",
        "e83e813ad25fce6a4d5793a019fde71290c6e85bf3f640494f",
        "8720df81cc4c8b6a00a2cedaeb12effc18ddcd43e28fcc0175",
        "27ea2726c570d35ef784b4b915d3d390316a01d02dec239b04",
    };
    ChaChaPoly c = new ChaChaPoly(bytes(0, 32));
    byte[] plain = "wireguard".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < counters.length; i++) {
      byte[] buf = Arrays.copyOf(plain, plain.length + 16);
      c.seal(counters[i], buf, 0, plain.length);
      assertEquals(expected[i], HEX.formatHex(buf), "counter " + Long.toUnsignedString(counters[i]));
    }
  }

  @Test
  void aForgedOrTruncatedMessageIsRefusedAndLeftAsItWas() {
    ChaChaPoly c = new ChaChaPoly(bytes(7, 32));
    byte[] buf = new byte[16 + 1420 + 16];
    Arrays.fill(buf, (byte) 0x5a);
    c.seal(9, buf, 16, 1420);
    for (int at : new int[] {16, 16 + 700, 16 + 1419, 16 + 1420, 16 + 1435}) {
      byte[] forged = buf.clone();
      forged[at] ^= 1;
      byte[] before = forged.clone();
      assertFalse(c.open(9, forged, 16, 1436), "bit flipped at " + at);
      assertArrayEquals(before, forged, "nothing decrypted");
    }
    assertFalse(c.open(10, buf.clone(), 16, 1436), "another counter");
    assertFalse(c.open(9, buf.clone(), 16, 15), "shorter than a tag");
    assertTrue(c.open(9, buf, 16, 1436));
  }

  @Test
  void aDestroyedKeySealsNothing() {
    ChaChaPoly c = new ChaChaPoly(bytes(1, 32));
    byte[] buf = new byte[64];
    c.seal(0, buf, 0, 48);
    byte[] sealed = buf.clone();
    c.destroy();
    assertThrows(IllegalStateException.class, () -> c.seal(1, new byte[64], 0, 48));
    assertFalse(c.open(0, sealed, 0, 64));
    assertThrows(IllegalArgumentException.class, () -> new ChaChaPoly(new byte[31]));
  }

  @Property(tries = 300)
  void sealsAsTheJdkDoes(@ForAll @Size(32) byte[] key, @ForAll long counter,
      @ForAll @IntRange(min = 0, max = 2100) int length, @ForAll long seed) {
    byte[] plain = new byte[length];
    new java.util.Random(seed).nextBytes(plain);
    byte[] jdk = new byte[length + 16];
    Aead.seal(key, counter, plain, 0, length, null, jdk, 0);

    byte[] ours = new byte[3 + length + 16 + 5];
    System.arraycopy(plain, 0, ours, 3, length);
    new ChaChaPoly(key).seal(counter, ours, 3, length);
    assertArrayEquals(jdk, Arrays.copyOfRange(ours, 3, 3 + length + 16));

    assertTrue(new ChaChaPoly(key).open(counter, jdk, 0, jdk.length));
    assertArrayEquals(plain, Arrays.copyOf(jdk, length));
  }

  @Property(tries = 100)
  void withAssociatedDataAsTheJdkDoes(@ForAll @Size(32) byte[] key, @ForAll @Size(max = 70) byte[] aad,
      @ForAll @Size(max = 300) byte[] plain, @ForAll int n0, @ForAll int n1, @ForAll int n2) {
    byte[] nonce = new byte[12];
    java.nio.ByteBuffer.wrap(nonce).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(n0).putInt(n1).putInt(n2);
    byte[] jdk = new byte[plain.length + 16];
    Aead.sealWithNonce(key, nonce, plain, 0, plain.length, aad, jdk, 0);
    byte[] ours = Arrays.copyOf(plain, plain.length + 16);
    new ChaChaPoly(key).seal(n0, n1, n2, aad, ours, 0, plain.length);
    assertArrayEquals(jdk, ours);
  }
}
