package io.overlaynet.wireguard.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The WireGuard paper's {@code AEAD} (ChaCha20-Poly1305, RFC 8439, with the nonce made of 32 zero
 * bits and the 64-bit little-endian counter) and {@code XAEAD} (XChaCha20-Poly1305, 24-byte
 * nonce, for cookie replies), sealing and opening into caller buffers.
 *
 * <pre>{@code
 * int n = Aead.seal(key, 0, plain, 0, plain.length, hash, msg, 48);   // n = plain.length + 16
 * if (!Aead.open(key, 0, msg, 48, n, hash, out, 0)) { drop(); }
 * }</pre>
 *
 * <p>ChaCha20-Poly1305 comes from the JDK's {@code "ChaCha20-Poly1305"} {@link Cipher}. That
 * cipher refuses to be initialised for encryption twice with the same key and nonce (a guard
 * against nonce reuse), so every call here takes a new {@code Cipher} and initialises it once:
 * about 0.4 µs more than re-initialising a kept instance (1.3 µs against 0.9 µs for 64 bytes,
 * measured on this project's 2-core machine), which is noise for handshakes and cookie replies.
 * The data path, which seals every packet, is not meant to call this class.
 *
 * <p>Opening checks the tag before decrypting anything: the JDK computes the Poly1305 tag and
 * compares it in constant time, and throws before writing plaintext. On a bad tag,
 * {@code open} returns {@code false}, says nothing about which bytes were wrong, and zeroes the
 * plaintext range of the output (so a caller that ignores the result never reads unauthenticated
 * bytes). The JDK's {@link SecretKeySpec} keeps a copy of the key that cannot be wiped; it is
 * unreachable after each call. Thread-safe (no shared state). Internal: package-private.
 */
final class Aead {

  /** Bytes of a ChaCha20-Poly1305 key. */
  static final int KEY_LEN = 32;
  /** Bytes of the Poly1305 tag appended to every ciphertext. */
  static final int TAG_LEN = 16;
  /** Bytes of an RFC 8439 nonce. */
  static final int NONCE_LEN = 12;
  /** Bytes of an XChaCha20-Poly1305 nonce. */
  static final int XNONCE_LEN = 24;

  private static final String TRANSFORMATION = "ChaCha20-Poly1305";
  private static final VarHandle LE_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private Aead() {}

  /**
   * {@code AEAD(key, counter, plain, aad)}: encrypts {@code src[srcOff, srcOff + srcLen)} into
   * {@code dst} at {@code dstOff} followed by the 16-byte tag; {@code aad} may be {@code null}
   * (empty). {@code dst} may be {@code src} at the same offset (in place).
   *
   * @return the bytes written, {@code srcLen + 16}
   * @throws IllegalArgumentException if the key is not 32 bytes
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static int seal(byte[] key, long counter, byte[] src, int srcOff, int srcLen, byte[] aad,
      byte[] dst, int dstOff) {
    return sealWithNonce(key, nonce(counter), src, srcOff, srcLen, aad, dst, dstOff);
  }

  /**
   * Opens what {@link #seal} made: {@code src[srcOff, srcOff + srcLen)} is ciphertext and tag;
   * the plaintext ({@code srcLen - 16} bytes) goes to {@code dst} at {@code dstOff}, which may be
   * {@code src} at the same offset.
   *
   * @return {@code true} if the tag is authentic; {@code false} if not or if {@code srcLen} is
   *     shorter than a tag (then nothing but zeros was written)
   * @throws IllegalArgumentException if the key is not 32 bytes
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static boolean open(byte[] key, long counter, byte[] src, int srcOff, int srcLen, byte[] aad,
      byte[] dst, int dstOff) {
    return openWithNonce(key, nonce(counter), src, srcOff, srcLen, aad, dst, dstOff);
  }

  /**
   * {@code XAEAD(key, nonce, plain, aad)}: XChaCha20-Poly1305 with the 24-byte {@code nonce}
   * (draft-irtf-cfrg-xchacha-03 §2): HChaCha20 of the key and the nonce's first 16 bytes gives a
   * subkey, used with ChaCha20-Poly1305 and the nonce {@code 0x00000000 || nonce[16..24)}.
   *
   * @return the bytes written, {@code srcLen + 16}
   * @throws IllegalArgumentException if the key is not 32 bytes or the nonce not 24
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static int xseal(byte[] key, byte[] nonce, byte[] src, int srcOff, int srcLen, byte[] aad,
      byte[] dst, int dstOff) {
    checkLength(nonce, XNONCE_LEN, "XChaCha20-Poly1305 nonce");
    byte[] subkey = hChaCha20(key, nonce, 0);
    try {
      return sealWithNonce(subkey, xnonce(nonce), src, srcOff, srcLen, aad, dst, dstOff);
    } finally {
      Arrays.fill(subkey, (byte) 0);
    }
  }

  /**
   * Opens what {@link #xseal} made; the same contract as {@link #open}.
   *
   * @throws IllegalArgumentException if the key is not 32 bytes or the nonce not 24
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static boolean xopen(byte[] key, byte[] nonce, byte[] src, int srcOff, int srcLen, byte[] aad,
      byte[] dst, int dstOff) {
    checkLength(nonce, XNONCE_LEN, "XChaCha20-Poly1305 nonce");
    byte[] subkey = hChaCha20(key, nonce, 0);
    try {
      return openWithNonce(subkey, xnonce(nonce), src, srcOff, srcLen, aad, dst, dstOff);
    } finally {
      Arrays.fill(subkey, (byte) 0);
    }
  }

  /** WireGuard's 96-bit nonce: 32 zero bits, then {@code counter} little-endian (unsigned). */
  static byte[] nonce(long counter) {
    byte[] n = new byte[NONCE_LEN];
    LE_LONG.set(n, 4, counter);
    return n;
  }

  /** ChaCha20-Poly1305 with an explicit RFC 8439 nonce (the RFC's vectors use other nonces). */
  static int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int srcLen,
      byte[] aad, byte[] dst, int dstOff) {
    Objects.checkFromIndexSize(srcOff, srcLen, src.length);
    Objects.checkFromIndexSize(dstOff, srcLen + TAG_LEN, dst.length);
    Cipher cipher = init(Cipher.ENCRYPT_MODE, key, nonce, aad);
    try {
      return cipher.doFinal(src, srcOff, srcLen, dst, dstOff);
    } catch (GeneralSecurityException e) {
      // Bounds were checked above; nothing else can fail when encrypting.
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    }
  }

  /** Opens with an explicit RFC 8439 nonce; see {@link #open}. */
  static boolean openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int srcLen,
      byte[] aad, byte[] dst, int dstOff) {
    Objects.checkFromIndexSize(srcOff, srcLen, src.length);
    if (srcLen < TAG_LEN) {
      checkLength(key, KEY_LEN, "ChaCha20-Poly1305 key");
      return false;
    }
    int plainLen = srcLen - TAG_LEN;
    Objects.checkFromIndexSize(dstOff, plainLen, dst.length);
    Cipher cipher = init(Cipher.DECRYPT_MODE, key, nonce, aad);
    try {
      cipher.doFinal(src, srcOff, srcLen, dst, dstOff);
      return true;
    } catch (AEADBadTagException e) {
      Arrays.fill(dst, dstOff, dstOff + plainLen, (byte) 0);
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
    }
  }

  /**
   * HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): the ChaCha20 state of the constants, the key
   * and the 16-byte nonce at {@code nonceOff} (no counter), 20 rounds, no final addition; the
   * first and last rows, little-endian, are the 32-byte subkey.
   *
   * @throws IllegalArgumentException if the key is not 32 bytes
   * @throws IndexOutOfBoundsException if 16 nonce bytes are not there
   */
  static byte[] hChaCha20(byte[] key, byte[] nonce, int nonceOff) {
    checkLength(key, KEY_LEN, "HChaCha20 key");
    Objects.checkFromIndexSize(nonceOff, 16, nonce.length);
    int[] x = new int[16];
    // "expand 32-byte k"
    x[0] = 0x61707865;
    x[1] = 0x3320646e;
    x[2] = 0x79622d32;
    x[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) {
      x[4 + i] = (int) LE_INT.get(key, i << 2);
    }
    for (int i = 0; i < 4; i++) {
      x[12 + i] = (int) LE_INT.get(nonce, nonceOff + (i << 2));
    }
    for (int round = 0; round < 10; round++) {
      quarterRound(x, 0, 4, 8, 12);
      quarterRound(x, 1, 5, 9, 13);
      quarterRound(x, 2, 6, 10, 14);
      quarterRound(x, 3, 7, 11, 15);
      quarterRound(x, 0, 5, 10, 15);
      quarterRound(x, 1, 6, 11, 12);
      quarterRound(x, 2, 7, 8, 13);
      quarterRound(x, 3, 4, 9, 14);
    }
    byte[] out = new byte[KEY_LEN];
    for (int i = 0; i < 4; i++) {
      LE_INT.set(out, i << 2, x[i]);
      LE_INT.set(out, 16 + (i << 2), x[12 + i]);
    }
    Arrays.fill(x, 0);
    return out;
  }

  /** RFC 8439 §2.1. */
  private static void quarterRound(int[] x, int a, int b, int c, int d) {
    x[a] += x[b];
    x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
  }

  private static byte[] xnonce(byte[] nonce) {
    byte[] n = new byte[NONCE_LEN];
    System.arraycopy(nonce, 16, n, 4, 8);
    return n;
  }

  private static Cipher init(int mode, byte[] key, byte[] nonce, byte[] aad) {
    checkLength(key, KEY_LEN, "ChaCha20-Poly1305 key");
    checkLength(nonce, NONCE_LEN, "ChaCha20-Poly1305 nonce");
    try {
      // A new instance per call: see the class comment (no re-init with the same key+nonce).
      Cipher cipher = Cipher.getInstance(TRANSFORMATION);
      cipher.init(mode, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
      if (aad != null && aad.length > 0) {
        cipher.updateAAD(aad);
      }
      return cipher;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's ChaCha20-Poly1305 is unavailable", e);
    }
  }

  private static void checkLength(byte[] b, int len, String what) {
    if (b.length != len) {
      throw new IllegalArgumentException(what + " must be " + len + " bytes, not " + b.length);
    }
  }
}
