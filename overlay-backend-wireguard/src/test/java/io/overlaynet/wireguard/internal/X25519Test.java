package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** X25519 against RFC 7748's vectors, plus the paper's rejection of an all-zero result. */
class X25519Test {

  static final HexFormat HEX = HexFormat.of();

  static String x25519(String scalar, String u) throws InvalidKeyException {
    return HEX.formatHex(X25519.sharedSecret(HEX.parseHex(scalar), HEX.parseHex(u)));
  }

  @Test
  void rfc7748Section52Vectors() throws InvalidKeyException {
    assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        x25519("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
    // This u-coordinate has the top bit of its last byte (0x93) set: it must be masked.
    assertEquals("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        x25519("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"));
  }

  /** RFC 7748 §5.2: k = u = 9, then repeatedly (k, u) = (X25519(k, u), k). */
  @Test
  void rfc7748Section52Iterations() throws InvalidKeyException {
    byte[] k = new byte[32];
    k[0] = 9;
    byte[] u = k.clone();
    for (int i = 1; i <= 1000; i++) {
      byte[] r = X25519.sharedSecret(k, u);
      u = k;
      k = r;
      if (i == 1) {
        assertEquals("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
            HEX.formatHex(k));
      }
    }
    assertEquals("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
        HEX.formatHex(k));
  }

  @Test
  void rfc7748Section61DiffieHellman() throws InvalidKeyException {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    byte[] alicePub = X25519.publicKey(alice);
    byte[] bobPub = X25519.publicKey(bob);
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        HEX.formatHex(alicePub));
    assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        HEX.formatHex(bobPub));
    String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assertEquals(shared, HEX.formatHex(X25519.sharedSecret(alice, bobPub)));
    assertEquals(shared, HEX.formatHex(X25519.sharedSecret(bob, alicePub)));
  }

  @Test
  void topBitOfPublicKeyIsIgnored() throws InvalidKeyException {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bobPub = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    bobPub[31] |= (byte) 0x80;
    assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        HEX.formatHex(X25519.sharedSecret(alice, bobPub)));
  }

  @Test
  void rejectsPointsOfSmallOrder() {
    byte[] priv = X25519.generatePrivateKey(new SecureRandom());
    for (String u : new String[] {
        "0000000000000000000000000000000000000000000000000000000000000000",  // 0
        "0100000000000000000000000000000000000000000000000000000000000000",  // 1
        // A point of order 8 (from the list of small-order points in the Curve25519 literature).
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        // p itself, which is 0 modulo p.
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    }) {
      InvalidKeyException e = assertThrows(InvalidKeyException.class,
          () -> X25519.sharedSecret(priv, HEX.parseHex(u)), u);
      assertFalse(e.getMessage().contains(HEX.formatHex(priv)));
    }
  }

  @Test
  void generatedKeysAreClampedAndAgree() throws InvalidKeyException {
    SecureRandom random = new SecureRandom();
    byte[] a = X25519.generatePrivateKey(random);
    byte[] b = X25519.generatePrivateKey(random);
    assertEquals(0, a[0] & 7);
    assertEquals(0x40, a[31] & 0xc0);
    assertNotEquals(HEX.formatHex(a), HEX.formatHex(b));
    assertArrayEquals(X25519.sharedSecret(a, X25519.publicKey(b)),
        X25519.sharedSecret(b, X25519.publicKey(a)));
  }

  @Test
  void rejectsWrongLengths() {
    assertThrows(IllegalArgumentException.class, () -> X25519.publicKey(new byte[31]));
    assertThrows(IllegalArgumentException.class,
        () -> X25519.sharedSecret(new byte[32], new byte[33]));
  }
}
