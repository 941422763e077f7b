package io.overlaynet.wireguard.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The WireGuard paper's symmetric primitives and constants (§5.4, "Cryptographic Primitives"),
 * named as in the paper: {@code HASH}, {@code MAC}, {@code HMAC} and {@code KDF1..3}, built on
 * {@link Blake2s}. The AEADs are in {@link Aead}, DH in {@link X25519}.
 *
 * <pre>{@code
 * byte[] c = WgCrypto.initialChainingKey();   // Ci = HASH(CONSTRUCTION)
 * byte[] h = WgCrypto.initialHash();          // Hi = HASH(Ci || IDENTIFIER)
 * WgCrypto.mixHash(h, responderStatic, 0, 32);  // Hi = HASH(Hi || Spub_r)
 * byte[] k = new byte[32];
 * WgCrypto.kdf2(c, dh, 0, 32, c, k);          // (Ci, k) = KDF2(Ci, DH(...)), in place
 * }</pre>
 *
 * <p>Outputs are written into caller arrays so that the handshake can keep its chaining key and
 * hash in place; an output may be the same array as the key or the input. Intermediate secrets
 * are wiped before returning. Thread-safe (no shared state). Internal: package-private.
 */
final class WgCrypto {

  /** Bytes of HASH's output, of a chaining key and of every KDF output. */
  static final int HASH_LEN = 32;
  /** Bytes of MAC's output (mac1, mac2, the cookie). */
  static final int MAC_LEN = 16;

  /** The Noise protocol name, hashed into the initial chaining key. */
  static final String CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
  /** WireGuard's Noise prologue, hashed into the initial hash. */
  static final String IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
  /** The label of the mac1 key: {@code HASH(LABEL_MAC1 || Spub)}. */
  static final String LABEL_MAC1 = "mac1----";
  /** The label of the cookie-reply key: {@code HASH(LABEL_COOKIE || Spub)}. */
  static final String LABEL_COOKIE = "cookie--";

  private static final int HMAC_BLOCK = Blake2s.BLOCK_BYTES;
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] INITIAL_CHAINING_KEY = hash(ascii(CONSTRUCTION));
  private static final byte[] INITIAL_HASH =
      hash(concat(INITIAL_CHAINING_KEY, ascii(IDENTIFIER)));

  private WgCrypto() {}

  /** Returns a fresh copy of {@code Ci = HASH(CONSTRUCTION)}. */
  static byte[] initialChainingKey() {
    return INITIAL_CHAINING_KEY.clone();
  }

  /** Returns a fresh copy of {@code Hi = HASH(Ci || IDENTIFIER)}. */
  static byte[] initialHash() {
    return INITIAL_HASH.clone();
  }

  /** {@code HASH(input)}: BLAKE2s-256. */
  static byte[] hash(byte[] input) {
    byte[] out = new byte[HASH_LEN];
    Blake2s.hash(out, 0, HASH_LEN, null, input, 0, input.length);
    return out;
  }

  /**
   * Noise's MixHash: {@code h = HASH(h || data[off, off + len))}, in place.
   *
   * @throws IllegalArgumentException if {@code h} is not 32 bytes
   * @throws IndexOutOfBoundsException if the range is outside {@code data}
   */
  static void mixHash(byte[] h, byte[] data, int off, int len) {
    checkLength(h, HASH_LEN, "hash");
    new Blake2s(HASH_LEN).update(h).update(data, off, len).finish(h, 0);
  }

  /**
   * {@code HASH(label || publicKey)}: the key of mac1 ({@link #LABEL_MAC1}) or of the cookie
   * reply's XAEAD ({@link #LABEL_COOKIE}) for the peer whose 32-byte static public key this is.
   * Computed once per peer (and once for the local key), not per message.
   *
   * @throws IllegalArgumentException if {@code publicKey} is not 32 bytes
   */
  static byte[] labelledKey(String label, byte[] publicKey) {
    checkLength(publicKey, HASH_LEN, "public key");
    byte[] out = new byte[HASH_LEN];
    new Blake2s(HASH_LEN).update(ascii(label)).update(publicKey).finish(out, 0);
    return out;
  }

  /**
   * {@code MAC(key, input)}: keyed BLAKE2s with a 16-byte output, written to {@code out} at
   * {@code outOff}.
   *
   * @throws IllegalArgumentException if the key is longer than 32 bytes
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static void mac(byte[] key, byte[] in, int inOff, int inLen, byte[] out, int outOff) {
    Blake2s.hash(out, outOff, MAC_LEN, key, in, inOff, inLen);
  }

  /**
   * {@code HMAC(key, input)}: RFC 2104 HMAC over BLAKE2s-256 (block 64 bytes), as the paper
   * defines it and as wireguard-go computes it ({@code hmac.New(blake2s.New256, key)}); 32
   * bytes written to {@code out} at {@code outOff}. {@code out} may be {@code key} or overlap
   * the input.
   *
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static void hmac(byte[] key, byte[] in, int inOff, int inLen, byte[] out, int outOff) {
    hmac(key, in, inOff, inLen, null, out, outOff);
  }

  /** HMAC of {@code in[inOff, inOff + inLen) || suffix} ({@code suffix} may be {@code null}). */
  private static void hmac(byte[] key, byte[] in, int inOff, int inLen, byte[] suffix,
      byte[] out, int outOff) {
    Objects.checkFromIndexSize(inOff, inLen, in.length);
    Objects.checkFromIndexSize(outOff, HASH_LEN, out.length);
    byte[] pad = new byte[HMAC_BLOCK];
    if (key.length > HMAC_BLOCK) {
      // RFC 2104: a key longer than a block is replaced by its hash (WireGuard's keys are 32
      // bytes; kept for HMAC's general definition).
      Blake2s.hash(pad, 0, HASH_LEN, null, key, 0, key.length);
    } else {
      System.arraycopy(key, 0, pad, 0, key.length);
    }
    for (int i = 0; i < HMAC_BLOCK; i++) {
      pad[i] ^= 0x36;
    }
    byte[] inner = new byte[HASH_LEN];
    Blake2s b = new Blake2s(HASH_LEN).update(pad).update(in, inOff, inLen);
    if (suffix != null) {
      b.update(suffix);
    }
    b.finish(inner, 0);
    for (int i = 0; i < HMAC_BLOCK; i++) {
      pad[i] ^= 0x36 ^ 0x5c;
    }
    b.init(HASH_LEN, null, 0, 0).update(pad).update(inner).finish(out, outOff);
    Arrays.fill(pad, (byte) 0);
    Arrays.fill(inner, (byte) 0);
  }

  /**
   * {@code KDF1(key, input) = τ1}, with {@code τ0 = HMAC(key, input)} and
   * {@code τ1 = HMAC(τ0, 0x1)}. {@code t1} may be {@code key}.
   *
   * @throws IllegalArgumentException if {@code t1} is not 32 bytes
   * @throws IndexOutOfBoundsException if the input range is outside {@code in}
   */
  static void kdf1(byte[] key, byte[] in, int inOff, int inLen, byte[] t1) {
    kdf(key, in, inOff, inLen, t1, null, null);
  }

  /**
   * {@code KDF2(key, input) = (τ1, τ2)}, with {@code τ2 = HMAC(τ0, τ1 || 0x2)}. Outputs may be
   * {@code key}.
   *
   * @throws IllegalArgumentException if an output is not 32 bytes
   * @throws IndexOutOfBoundsException if the input range is outside {@code in}
   */
  static void kdf2(byte[] key, byte[] in, int inOff, int inLen, byte[] t1, byte[] t2) {
    kdf(key, in, inOff, inLen, t1, Objects.requireNonNull(t2), null);
  }

  /**
   * {@code KDF3(key, input) = (τ1, τ2, τ3)}, with {@code τ3 = HMAC(τ0, τ2 || 0x3)}. Outputs may
   * be {@code key}.
   *
   * @throws IllegalArgumentException if an output is not 32 bytes
   * @throws IndexOutOfBoundsException if the input range is outside {@code in}
   */
  static void kdf3(byte[] key, byte[] in, int inOff, int inLen, byte[] t1, byte[] t2,
      byte[] t3) {
    kdf(key, in, inOff, inLen, t1, Objects.requireNonNull(t2), Objects.requireNonNull(t3));
  }

  /** {@code KDFn} of an empty input ({@code ε} in the paper), e.g. the transport keys. */
  static void kdf2(byte[] key, byte[] t1, byte[] t2) {
    kdf2(key, EMPTY, 0, 0, t1, t2);
  }

  private static void kdf(byte[] key, byte[] in, int inOff, int inLen, byte[] t1, byte[] t2,
      byte[] t3) {
    checkLength(t1, HASH_LEN, "KDF output");
    if (t2 != null) {
      checkLength(t2, HASH_LEN, "KDF output");
    }
    if (t3 != null) {
      checkLength(t3, HASH_LEN, "KDF output");
    }
    // τ0 is computed before any output is written, so outputs may alias the key or the input.
    byte[] t0 = new byte[HASH_LEN];
    hmac(key, in, inOff, inLen, t0, 0);
    byte[] counter = new byte[1];
    counter[0] = 1;
    hmac(t0, EMPTY, 0, 0, counter, t1, 0);
    if (t2 != null) {
      counter[0] = 2;
      hmac(t0, t1, 0, HASH_LEN, counter, t2, 0);
      if (t3 != null) {
        counter[0] = 3;
        hmac(t0, t2, 0, HASH_LEN, counter, t3, 0);
      }
    }
    Arrays.fill(t0, (byte) 0);
  }

  /**
   * Compares {@code len} bytes of two arrays in time that depends only on {@code len} (for MACs
   * and tags found inside a message buffer, which {@code MessageDigest.isEqual} cannot take).
   *
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static boolean constantTimeEquals(byte[] a, int aOff, byte[] b, int bOff, int len) {
    Objects.checkFromIndexSize(aOff, len, a.length);
    Objects.checkFromIndexSize(bOff, len, b.length);
    int diff = 0;
    for (int i = 0; i < len; i++) {
      diff |= a[aOff + i] ^ b[bOff + i];
    }
    return diff == 0;
  }

  private static void checkLength(byte[] b, int len, String what) {
    if (b.length != len) {
      throw new IllegalArgumentException(what + " must be " + len + " bytes, not " + b.length);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
