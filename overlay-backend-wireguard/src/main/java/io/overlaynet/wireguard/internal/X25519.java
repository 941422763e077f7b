package io.overlaynet.wireguard.internal;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * X25519 (RFC 7748) on WireGuard's raw keys: 32-byte little-endian scalars and u-coordinates,
 * computed by the JDK's {@code XDH} provider (constant-time Montgomery ladder).
 *
 * <pre>{@code
 * byte[] mine = X25519.generatePrivateKey(random);
 * byte[] pub = X25519.publicKey(mine);
 * byte[] shared = X25519.sharedSecret(mine, theirPublic);  // throws on a low-order point
 * }</pre>
 *
 * <p>The JDK takes a scalar as raw bytes (and clamps it itself) but a u-coordinate as a
 * {@link BigInteger}: {@link #publicKey} and {@link #sharedSecret} convert, masking the top bit
 * of the u-coordinate's last byte as RFC 7748 §5 requires (the JDK does not; it only reduces
 * modulo p).
 *
 * <p>The JDK's key objects keep their own copy of the scalar, which cannot be wiped; they are
 * short-lived and unreachable after each call. A key factory and a key agreement are looked up
 * per call: that costs a few microseconds against a DH of about 200 µs, and keeps this class
 * stateless and thread-safe. Internal: package-private.
 */
final class X25519 {

  /** Bytes of a scalar, a u-coordinate and a shared secret. */
  static final int KEY_LEN = 32;

  private static final NamedParameterSpec CURVE = NamedParameterSpec.X25519;
  private static final byte[] BASE_POINT = new byte[KEY_LEN];

  static {
    BASE_POINT[0] = 9;
  }

  private X25519() {}

  /** Returns 32 random bytes from {@code random}, clamped as RFC 7748 §5 decodes a scalar. */
  static byte[] generatePrivateKey(SecureRandom random) {
    byte[] k = new byte[KEY_LEN];
    random.nextBytes(k);
    clamp(k);
    return k;
  }

  /**
   * Clamps a scalar in place: clears the 3 low bits and the top bit, sets bit 254. Applying it
   * at generation (as {@code wg genkey} does) makes the stored key the one actually used;
   * X25519 clamps anyway.
   */
  static void clamp(byte[] k) {
    k[0] &= (byte) 248;
    k[31] &= 127;
    k[31] |= 64;
  }

  /**
   * Returns the public key of {@code privateKey}: X25519 of the scalar and the base point 9.
   *
   * @throws IllegalArgumentException if {@code privateKey} is not 32 bytes
   */
  static byte[] publicKey(byte[] privateKey) {
    try {
      return x25519(privateKey, BASE_POINT);
    } catch (InvalidKeyException e) {
      // The base point has order 8·(large prime): a clamped scalar never yields zero.
      throw new IllegalStateException("X25519 of the base point failed", e);
    }
  }

  /**
   * Returns the 32-byte shared secret {@code X25519(privateKey, publicKey)}; the caller wipes it.
   *
   * @throws InvalidKeyException if the result is all zero, i.e. {@code publicKey} is a point of
   *     small order: the WireGuard paper (§5.4, DH) and RFC 7748 §6.1 require rejecting it
   * @throws IllegalArgumentException if a key is not 32 bytes
   */
  static byte[] sharedSecret(byte[] privateKey, byte[] publicKey) throws InvalidKeyException {
    return x25519(privateKey, publicKey);
  }

  private static byte[] x25519(byte[] scalar, byte[] u) throws InvalidKeyException {
    checkLength(scalar, "private key");
    checkLength(u, "public key");
    byte[] secret;
    try {
      KeyFactory factory = KeyFactory.getInstance("X25519");
      KeyAgreement agreement = KeyAgreement.getInstance("X25519");
      agreement.init(factory.generatePrivate(new XECPrivateKeySpec(CURVE, scalar)));
      agreement.doPhase(factory.generatePublic(new XECPublicKeySpec(CURVE, decodeU(u))), true);
      secret = agreement.generateSecret();
    } catch (InvalidKeyException e) {
      // The JDK also refuses an all-zero result ("Point has small order"); report both the same
      // way, without key material.
      throw new InvalidKeyException("X25519: public key is a point of small order");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's X25519 is unavailable", e);
    }
    int acc = 0;
    for (byte b : secret) {
      acc |= b;
    }
    if (acc == 0) {
      throw new InvalidKeyException("X25519: public key is a point of small order");
    }
    return secret;
  }

  /** RFC 7748 §5 decodeUCoordinate: little-endian, top bit of the last byte masked. */
  private static BigInteger decodeU(byte[] u) {
    byte[] bigEndian = new byte[KEY_LEN];
    for (int i = 0; i < KEY_LEN; i++) {
      bigEndian[i] = u[KEY_LEN - 1 - i];
    }
    bigEndian[0] &= 0x7f;
    BigInteger value = new BigInteger(1, bigEndian);
    Arrays.fill(bigEndian, (byte) 0);
    return value;
  }

  private static void checkLength(byte[] key, String what) {
    if (key.length != KEY_LEN) {
      throw new IllegalArgumentException("X25519 " + what + " must be 32 bytes, not "
          + key.length);
    }
  }
}
