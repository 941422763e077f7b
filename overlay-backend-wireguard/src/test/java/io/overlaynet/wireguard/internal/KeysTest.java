package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.util.HexFormat;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** PublicKey, PrivateKey and PresharedKey: wg's base64 form, redaction, equality, destroy. */
class KeysTest {

  /** RFC 7748 §6.1's Alice and Bob in base64 ({@code base64.b64encode(bytes.fromhex(...))}). */
  static final String ALICE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
  static final String ALICE_PUBLIC = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
  static final String BOB = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";
  static final String BOB_PUBLIC = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";
  /** Made with {@code wg genkey | tee /dev/stderr | wg pubkey} (wireguard-tools 1.0.20210914). */
  static final String WG_PRIVATE = "kA5SS8CWboEFrDLVoK6gPSxKyGcuja8qhnv34BJgBmI=";
  static final String WG_PUBLIC = "B8uYrw1vVGidewB9iScFFLxAqhG8y3gDUWdSxXi3HFw=";

  @Test
  void publicKeyFromPrivateMatchesWg() {
    assertEquals(ALICE_PUBLIC, PrivateKey.parse(ALICE).publicKey().toBase64());
    assertEquals(BOB_PUBLIC, PrivateKey.parse(BOB).publicKey().toString());
    assertEquals(WG_PUBLIC, PrivateKey.parse(WG_PRIVATE).publicKey().toString());
  }

  @Test
  void sharedSecretOfRfc7748() throws InvalidKeyException {
    byte[] s = PrivateKey.parse(ALICE).sharedSecret(PublicKey.parse(BOB_PUBLIC));
    assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        HexFormat.of().formatHex(s));
  }

  @Test
  void base64RoundTrips() {
    PublicKey pub = PublicKey.parse(ALICE_PUBLIC);
    assertEquals(pub, PublicKey.parse(pub.toString()));
    assertEquals(pub, PublicKey.fromBytes(pub.bytes()));
    assertEquals(pub.hashCode(), PublicKey.parse(ALICE_PUBLIC).hashCode());

    PrivateKey priv = PrivateKey.parse(WG_PRIVATE);
    assertEquals(WG_PRIVATE, new String(priv.toBase64Ascii(), StandardCharsets.US_ASCII));
    assertEquals(priv, PrivateKey.fromBytes(priv.secret()));

    PresharedKey psk = PresharedKey.parse(BOB);
    assertEquals(BOB, new String(psk.toBase64Ascii(), StandardCharsets.US_ASCII));
    assertEquals(psk, PresharedKey.fromBytes(psk.secret()));

    PresharedKey generated = PresharedKey.generate();
    assertEquals(generated,
        PresharedKey.parse(new String(generated.toBase64Ascii(), StandardCharsets.US_ASCII)));
    assertNotEquals(generated, PresharedKey.generate());
  }

  @Test
  void generatedPrivateKeysAreClampedAndDistinct() {
    PrivateKey a = PrivateKey.generate();
    PrivateKey b = PrivateKey.generate();
    assertNotEquals(a, b);
    assertNotEquals(a.publicKey(), b.publicKey());
    assertEquals(0, a.secret()[0] & 7);
    assertEquals(0x40, a.secret()[31] & 0xc0);
    assertEquals(a.publicKey(), PrivateKey.fromBytes(a.secret()).publicKey());
  }

  /** Base64 that is wrong in each way wg refuses, named for the failure messages. */
  static final String[] BAD = {
      "",
      ALICE.substring(0, 43),                              // one short
      ALICE + "A",                                         // one long
      ALICE.substring(0, 42) + "==",                       // 31 bytes
      ALICE.substring(0, 43) + "A",                        // no padding
      "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=",      // padding bits set: wg refuses it
      "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkq-Xf7pR25LCo=",      // URL-safe alphabet
      "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkq Xf7pR25LCo=",      // a space
      "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqéXf7pR25LCo=",      // not ASCII
      "dwdtCnMYpX08FsFyUbJmRd9=L4frwJkqsXf7pR25LCo=",      // '=' inside
  };

  static final Pattern MESSAGES = Pattern.compile("WireGuard [a-z]+ key: (expected 44 base64"
      + " characters, got [0-9]+|not base64 of 32 bytes \\(44 characters that end in one '='\\)"
      + "|not valid base64|not canonical base64 \\(the character before '=' has padding bits"
      + " set\\))");

  @Test
  void badBase64IsRefusedWithoutEchoingIt() {
    assertBadInputRefused(PrivateKey::parse, "WireGuard private key");
    assertBadInputRefused(PresharedKey::parse, "WireGuard preshared key");
    assertBadInputRefused(PublicKey::parse, "WireGuard public key");
  }

  static void assertBadInputRefused(Function<String, ?> parse, String what) {
    for (String bad : BAD) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> parse.apply(bad), bad);
      // One of the fixed messages: the only variable part is the length.
      assertTrue(MESSAGES.matcher(e.getMessage()).matches(), e.getMessage());
      assertTrue(e.getMessage().startsWith(what + ": "), e.getMessage());
      // Neither the input nor any 4-character piece of it is in the message, and there is no
      // cause whose message could quote it (the JDK's decoder names the illegal character).
      for (int i = 0; i + 4 <= bad.length(); i++) {
        String piece = bad.substring(i, i + 4);
        assertFalse(e.getMessage().contains(piece), () -> e.getMessage() + " quotes " + piece);
      }
      assertNull(e.getCause(), bad);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> parse.apply(null));
    assertEquals(what + ": null", e.getMessage());
  }

  @Test
  void wrongRawLengthsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> PublicKey.fromBytes(new byte[31]));
    assertThrows(IllegalArgumentException.class, () -> PrivateKey.fromBytes(new byte[33]));
    assertThrows(IllegalArgumentException.class, () -> PresharedKey.fromBytes(new byte[0]));
  }

  @Test
  void secretsNeverShowInToString() {
    PrivateKey priv = PrivateKey.parse(WG_PRIVATE);
    assertEquals("PrivateKey[redacted, public " + WG_PUBLIC + "]", priv.toString());
    assertFalse(priv.toString().contains(WG_PRIVATE.substring(0, 8)));
    assertEquals("PresharedKey[redacted]", PresharedKey.parse(WG_PRIVATE).toString());
    assertEquals(ALICE_PUBLIC, PublicKey.parse(ALICE_PUBLIC).toString());
  }

  @Test
  void equalityComparesBytes() {
    assertEquals(PrivateKey.parse(ALICE), PrivateKey.parse(ALICE));
    assertNotEquals(PrivateKey.parse(ALICE), PrivateKey.parse(BOB));
    assertEquals(PrivateKey.parse(ALICE).hashCode(), PrivateKey.parse(ALICE).hashCode());
    assertEquals(PresharedKey.parse(ALICE), PresharedKey.parse(ALICE));
    assertNotEquals(PresharedKey.parse(ALICE), PresharedKey.parse(BOB));
    assertNotEquals(PublicKey.parse(ALICE_PUBLIC), PublicKey.parse(BOB_PUBLIC));
    // The same 32 bytes in two roles are different things.
    assertNotEquals(PresharedKey.parse(ALICE_PUBLIC), PublicKey.parse(ALICE_PUBLIC));
  }

  @Test
  void destroyZeroesTheKey() {
    PrivateKey priv = PrivateKey.parse(ALICE);
    byte[] internal = priv.secret();
    PrivateKey same = PrivateKey.parse(ALICE);
    priv.destroy();
    priv.destroy();
    assertTrue(priv.isDestroyed());
    assertArrayEquals(new byte[32], internal);
    assertThrows(IllegalStateException.class, priv::toBase64Ascii);
    assertThrows(IllegalStateException.class,
        () -> priv.sharedSecret(PublicKey.parse(BOB_PUBLIC)));
    assertEquals("PrivateKey[destroyed]", priv.toString());
    assertEquals(ALICE_PUBLIC, priv.publicKey().toString(), "the public key stays");
    assertNotEquals(same, priv);
    assertEquals(priv, priv);

    PresharedKey psk = PresharedKey.parse(BOB);
    byte[] pskInternal = psk.secret();
    psk.destroy();
    assertTrue(psk.isDestroyed());
    assertArrayEquals(new byte[32], pskInternal);
    assertThrows(IllegalStateException.class, psk::secret);
    assertEquals("PresharedKey[destroyed]", psk.toString());
  }

  @Test
  void publicKeyReadsAndWritesBuffers() {
    byte[] buf = new byte[40];
    PublicKey pub = PublicKey.parse(ALICE_PUBLIC);
    pub.writeTo(buf, 8);
    assertEquals(pub, PublicKey.read(buf, 8));
    assertThrows(IndexOutOfBoundsException.class, () -> PublicKey.read(buf, 9));
    assertThrows(IndexOutOfBoundsException.class, () -> pub.writeTo(buf, 9));
  }
}
