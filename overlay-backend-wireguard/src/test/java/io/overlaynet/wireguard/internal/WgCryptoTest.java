package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Blake2sTest.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HASH, MAC, HMAC and KDF against values made with Python 3.11's {@code hmac} and
 * {@code hashlib.blake2s}:
 *
 * <pre>
 * H = lambda b: hashlib.blake2s(b).digest()
 * hm = lambda k, m: hmac.new(k, m, hashlib.blake2s).digest()
 * def kdf(n, k, inp):
 *     t0 = hm(k, inp); out = []; prev = b''
 *     for i in range(1, n + 1):
 *         prev = hm(t0, prev + bytes([i])); out.append(prev)
 *     return out
 * </pre>
 */
class WgCryptoTest {

  static final HexFormat HEX = HexFormat.of();

  /** {@code H(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")}; boringtun hard-codes the same. */
  static final String CI = "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
  /** {@code H(CI + b"WireGuard v1 zx2c4 Jason@zx2c4.com")}. */
  static final String HI = "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3";

  static byte[] hmac(byte[] key, byte[] msg) {
    byte[] out = new byte[32];
    WgCrypto.hmac(key, msg, 0, msg.length, out, 0);
    return out;
  }

  @Test
  void initialChainingKeyAndHash() {
    assertEquals(CI, HEX.formatHex(WgCrypto.initialChainingKey()));
    assertEquals(HI, HEX.formatHex(WgCrypto.initialHash()));
    // Copies: a caller mixing into its own copy does not change the next handshake's start.
    WgCrypto.initialChainingKey()[0] ^= 1;
    assertEquals(CI, HEX.formatHex(WgCrypto.initialChainingKey()));
  }

  @Test
  void constantsAsThePaperSpellsThem() {
    assertEquals("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", WgCrypto.CONSTRUCTION);
    assertEquals("WireGuard v1 zx2c4 Jason@zx2c4.com", WgCrypto.IDENTIFIER);
    assertEquals("mac1----", WgCrypto.LABEL_MAC1);
    assertEquals("cookie--", WgCrypto.LABEL_COOKIE);
  }

  @Test
  void hmacMatchesPython() {
    assertEquals("82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f",
        HEX.formatHex(hmac(range(32), "abc".getBytes(StandardCharsets.US_ASCII))));
    // hm(bytes(range(100)), bytes(range(200))): a key longer than the block is hashed first.
    assertEquals("c4c95271905c6f69c1dd7c6fbc0cb3735457a660ccc2c4370f28825e7abef5af",
        HEX.formatHex(hmac(range(100), range(200))));
    assertEquals("eaf4bb25938f4d20e72656bbbc7a9bf63c0c18537333c35bdb67db1402661acd",
        HEX.formatHex(hmac(new byte[0], new byte[0])));
  }

  @Test
  void hmacMayWriteOverItsKey() {
    byte[] key = range(32);
    byte[] msg = "abc".getBytes(StandardCharsets.US_ASCII);
    WgCrypto.hmac(key, msg, 0, msg.length, key, 0);
    assertEquals("82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f",
        HEX.formatHex(key));
  }

  @Test
  void kdfMatchesPython() {
    String t1 = "6ff66e10ab4a55ac8144a867fcd9f8ee64d4bd6239223338cb3437cf085ab031";
    String t2 = "203b22d63d63e35cebb9e40210cf8c1d7f90879428a4c766cda9ef34bb299398";
    String t3 = "35a7b2fc3e4f59db341dbe588e3b75897980c463d5bbb855f8ed8134ff40133a";
    byte[] in = range(32);
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    byte[] c = new byte[32];
    WgCrypto.kdf1(WgCrypto.initialChainingKey(), in, 0, 32, a);
    assertEquals(t1, HEX.formatHex(a));
    WgCrypto.kdf2(WgCrypto.initialChainingKey(), in, 0, 32, a, b);
    assertEquals(List.of(t1, t2), List.of(HEX.formatHex(a), HEX.formatHex(b)));
    WgCrypto.kdf3(WgCrypto.initialChainingKey(), in, 0, 32, a, b, c);
    assertEquals(List.of(t1, t2, t3),
        List.of(HEX.formatHex(a), HEX.formatHex(b), HEX.formatHex(c)));
  }

  @Test
  void kdfInPlaceAsTheHandshakeUsesIt() {
    // (Ci, k) = KDF2(Ci, input): the chaining key is both the key and the first output.
    byte[] ck = WgCrypto.initialChainingKey();
    byte[] k = new byte[32];
    byte[] msg = new byte[40];
    System.arraycopy(range(32), 0, msg, 8, 32);
    WgCrypto.kdf2(ck, msg, 8, 32, ck, k);
    assertEquals("6ff66e10ab4a55ac8144a867fcd9f8ee64d4bd6239223338cb3437cf085ab031",
        HEX.formatHex(ck));
    assertEquals("203b22d63d63e35cebb9e40210cf8c1d7f90879428a4c766cda9ef34bb299398",
        HEX.formatHex(k));
  }

  @Test
  void kdf2OfEmptyInput() {
    // kdf(2, bytes(range(32)), b''): how the transport keys are derived, KDF2(Cr, ε).
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    WgCrypto.kdf2(range(32), a, b);
    assertEquals("7a38c34bf2b8738d7374ca77c44ecb309a11d2b2528304fa86052c365e722624",
        HEX.formatHex(a));
    assertEquals("1a17621f346abdc520746a9fb64d8eb03231d674fc15687537b0780fd9c060fd",
        HEX.formatHex(b));
  }

  @Test
  void kdfRejectsShortOutputs() {
    assertThrows(IllegalArgumentException.class,
        () -> WgCrypto.kdf1(range(32), range(4), 0, 4, new byte[16]));
  }

  @Test
  void mixHashAndLabelledKeysAndMac() {
    // H(HI + bytes(range(100, 132))) for mixHash; H(b"mac1----" + pub), H(b"cookie--" + pub);
    // hashlib.blake2s(bytes(range(116)), digest_size=16, key=mac1key).hexdigest().
    byte[] pub = new byte[32];
    for (int i = 0; i < 32; i++) {
      pub[i] = (byte) (100 + i);
    }
    byte[] mac1Key = WgCrypto.labelledKey(WgCrypto.LABEL_MAC1, pub);
    assertEquals("614329af9bf878204a896ec12cbf430fd2f6bba10647dec4df9c14c69e59ead5",
        HEX.formatHex(mac1Key));
    assertEquals("ec09a0226a408625ba85f9b057b3ac4bba6d3402d6662e04c4327913c289cf20",
        HEX.formatHex(WgCrypto.labelledKey(WgCrypto.LABEL_COOKIE, pub)));
    byte[] mac = new byte[20];
    WgCrypto.mac(mac1Key, range(116), 0, 116, mac, 4);
    assertEquals("0796e99ab4a35fd0152f18e04aeaf791", HEX.formatHex(mac, 4, 20));

    byte[] h = WgCrypto.initialHash();
    WgCrypto.mixHash(h, pub, 0, 32);
    byte[] expected = new byte[64];
    System.arraycopy(HEX.parseHex(HI), 0, expected, 0, 32);
    System.arraycopy(pub, 0, expected, 32, 32);
    assertArrayEquals(WgCrypto.hash(expected), h);
  }

  @Test
  void constantTimeEquals() {
    byte[] a = range(32);
    byte[] b = Arrays.copyOf(range(32), 40);
    assertTrue(WgCrypto.constantTimeEquals(a, 0, b, 0, 32));
    b[31] ^= (byte) 0x80;
    assertFalse(WgCrypto.constantTimeEquals(a, 0, b, 0, 32));
    assertTrue(WgCrypto.constantTimeEquals(a, 0, b, 0, 31));
    assertThrows(IndexOutOfBoundsException.class,
        () -> WgCrypto.constantTimeEquals(a, 0, b, 20, 32));
  }
}
