package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * ChaCha20-Poly1305 against RFC 8439 §2.8.2, XChaCha20-Poly1305 and HChaCha20 against
 * draft-irtf-cfrg-xchacha-03, and WireGuard's counter nonce against Python's
 * {@code cryptography} package.
 */
class AeadTest {

  static final HexFormat HEX = HexFormat.of();

  /** The plaintext of RFC 8439 §2.8.2 and of the XChaCha draft's A.3.1. */
  static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you"
      + " only one tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
  static final byte[] AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");

  static byte[] bytes(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  static final String RFC8439_CIPHERTEXT =
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da"
      + "92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585"
      + "808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
  static final String RFC8439_TAG = "1ae10b594f09e26a7e902ecbd0600691";

  @Test
  void rfc8439Section282() {
    byte[] key = bytes(0x80, 32);
    // The RFC's nonce: the 32-bit constant 07000000, then the 64-bit IV 4041424344454647.
    byte[] nonce = HEX.parseHex("070000004041424344454647");
    assertEquals(114, SUNSCREEN.length);
    byte[] sealed = new byte[SUNSCREEN.length + 16];
    assertEquals(sealed.length,
        Aead.sealWithNonce(key, nonce, SUNSCREEN, 0, SUNSCREEN.length, AAD, sealed, 0));
    assertEquals(RFC8439_CIPHERTEXT + RFC8439_TAG, HEX.formatHex(sealed));

    byte[] opened = new byte[SUNSCREEN.length];
    assertTrue(Aead.openWithNonce(key, nonce, sealed, 0, sealed.length, AAD, opened, 0));
    assertArrayEquals(SUNSCREEN, opened);
  }

  @Test
  void wireGuardNonceIsZerosThenLittleEndianCounter() {
    assertEquals("000000000807060504030201", HEX.formatHex(Aead.nonce(0x0102030405060708L)));
    assertEquals("00000000ffffffffffffffff", HEX.formatHex(Aead.nonce(-1L)));
    // ChaCha20Poly1305(bytes(range(32))).encrypt(b'\0' * 4 + struct.pack('<Q', c), b"wireguard",
    // b"") with Python's cryptography 48 (OpenSSL).
    byte[] key = bytes(0, 32);
    byte[] plain = "wireguard".getBytes(StandardCharsets.US_ASCII);
    long[] counters = {0, 1, 0x0102030405060708L, -1L};
    String[] expected = {
        "6fd13054ca93c7a377ecd404b5390c6c9ada693415390e76c2",
        "e83e813ad25fce6a4d5793a019fde71290c6e85bf3f640494f",
        "8720df81cc4c8b6a00a2cedaeb12effc18ddcd43e28fcc0175",
        "27ea2726c570d35ef784b4b915d3d390316a01d02dec239b04",
    };
    for (int i = 0; i < counters.length; i++) {
      byte[] out = new byte[plain.length + 16];
      Aead.seal(key, counters[i], plain, 0, plain.length, null, out, 0);
      assertEquals(expected[i], HEX.formatHex(out), "counter " + Long.toUnsignedString(counters[i]));
    }
  }

  @Test
  void emptyPlaintextAuthenticatesTheAad() {
    // The handshake's AEAD(k, 0, ε, H) in the responder message: a tag and nothing else.
    // ChaCha20Poly1305(bytes(range(32))).encrypt(b'\0' * 12, b"", bytes(range(32))).
    byte[] tag = new byte[16];
    assertEquals(16, Aead.seal(bytes(0, 32), 0, new byte[0], 0, 0, bytes(0, 32), tag, 0));
    assertEquals("e5ed4f5d739c4da0ea6bd23e5fa5ea64", HEX.formatHex(tag));
    assertTrue(Aead.open(bytes(0, 32), 0, tag, 0, 16, bytes(0, 32), new byte[0], 0));
    assertFalse(Aead.open(bytes(0, 32), 0, tag, 0, 16, bytes(1, 32), new byte[0], 0));
  }

  @Test
  void sealAndOpenWithOffsetsAndInPlace() {
    byte[] key = bytes(7, 32);
    byte[] msg = new byte[8 + SUNSCREEN.length + 16];
    System.arraycopy(SUNSCREEN, 0, msg, 8, SUNSCREEN.length);
    Aead.seal(key, 42, msg, 8, SUNSCREEN.length, AAD, msg, 8);
    byte[] copy = msg.clone();
    assertTrue(Aead.open(key, 42, msg, 8, SUNSCREEN.length + 16, AAD, msg, 8));
    assertArrayEquals(SUNSCREEN, Arrays.copyOfRange(msg, 8, 8 + SUNSCREEN.length));
    byte[] out = new byte[4 + SUNSCREEN.length];
    assertTrue(Aead.open(key, 42, copy, 8, SUNSCREEN.length + 16, AAD, out, 4));
    assertArrayEquals(SUNSCREEN, Arrays.copyOfRange(out, 4, out.length));
  }

  @Test
  void forgeriesAreRejectedAndLeaveNoPlaintext() {
    byte[] key = bytes(0x80, 32);
    byte[] sealed = new byte[SUNSCREEN.length + 16];
    Aead.seal(key, 5, SUNSCREEN, 0, SUNSCREEN.length, AAD, sealed, 0);
    byte[] out = new byte[SUNSCREEN.length];
    // Every single-bit flip, in the ciphertext and in the tag, fails the same way.
    for (int i = 0; i < sealed.length; i++) {
      byte[] forged = sealed.clone();
      forged[i] ^= (byte) (1 << (i % 8));
      Arrays.fill(out, (byte) 0x55);
      assertFalse(Aead.open(key, 5, forged, 0, forged.length, AAD, out, 0), "byte " + i);
      assertArrayEquals(new byte[out.length], out, "no plaintext left after byte " + i);
    }
    assertFalse(Aead.open(key, 6, sealed, 0, sealed.length, AAD, out, 0), "wrong counter");
    assertFalse(Aead.open(bytes(0x81, 32), 5, sealed, 0, sealed.length, AAD, out, 0), "wrong key");
    assertFalse(Aead.open(key, 5, sealed, 0, sealed.length, null, out, 0), "missing aad");
    assertFalse(Aead.open(key, 5, sealed, 0, 15, AAD, out, 0), "shorter than a tag");
    assertTrue(Aead.open(key, 5, sealed, 0, sealed.length, AAD, out, 0));
  }

  @Test
  void sealingTwiceWithTheSameKeyAndCounterWorks() {
    // The JDK refuses re-init of one Cipher with the same key and nonce; a retransmission
    // (sealing the same thing again) must still work, as each call takes its own Cipher.
    byte[] key = bytes(3, 32);
    byte[] a = new byte[16 + 4];
    byte[] b = new byte[16 + 4];
    Aead.seal(key, 9, new byte[4], 0, 4, null, a, 0);
    Aead.seal(key, 9, new byte[4], 0, 4, null, b, 0);
    assertArrayEquals(a, b);
  }

  @Test
  void rejectsBadArguments() {
    byte[] out = new byte[64];
    assertThrows(IllegalArgumentException.class,
        () -> Aead.seal(new byte[16], 0, new byte[4], 0, 4, null, out, 0));
    assertThrows(IndexOutOfBoundsException.class,
        () -> Aead.seal(new byte[32], 0, new byte[60], 0, 60, null, out, 0));
    assertThrows(IllegalArgumentException.class,
        () -> Aead.xseal(new byte[32], new byte[12], new byte[4], 0, 4, null, out, 0));
  }

  /** draft-irtf-cfrg-xchacha-03 §2.2.1. */
  @Test
  void hChaCha20DraftVector() {
    byte[] key = bytes(0, 32);
    byte[] nonce = HEX.parseHex("000000090000004a0000000031415927");
    assertEquals("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
        HEX.formatHex(Aead.hChaCha20(key, nonce, 0)));
  }

  /** draft-irtf-cfrg-xchacha-03 Appendix A.3.1 (AEAD_XCHACHA20_POLY1305). */
  @Test
  void xChaCha20Poly1305DraftVector() {
    byte[] key = bytes(0x80, 32);
    byte[] nonce = bytes(0x40, 24);
    String ciphertext = "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b9"
        + "82c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e";
    String tag = "c0875924c1c7987947deafd8780acf49";
    byte[] sealed = new byte[SUNSCREEN.length + 16];
    assertEquals(sealed.length,
        Aead.xseal(key, nonce, SUNSCREEN, 0, SUNSCREEN.length, AAD, sealed, 0));
    assertEquals(ciphertext + tag, HEX.formatHex(sealed));

    byte[] opened = new byte[SUNSCREEN.length];
    assertTrue(Aead.xopen(key, nonce, sealed, 0, sealed.length, AAD, opened, 0));
    assertArrayEquals(SUNSCREEN, opened);
    sealed[sealed.length - 1] ^= 1;
    assertFalse(Aead.xopen(key, nonce, sealed, 0, sealed.length, AAD, opened, 0));
    assertArrayEquals(new byte[opened.length], opened);
  }
}
