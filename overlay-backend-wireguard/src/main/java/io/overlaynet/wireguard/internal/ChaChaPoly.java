package io.overlaynet.wireguard.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * ChaCha20-Poly1305 (RFC 8439) for one key, sealing and opening in place: the data path's cipher.
 *
 * <p>Why not the JDK's {@code "ChaCha20-Poly1305"} {@code Cipher}, which {@link Aead} uses for
 * handshakes: on JDK 17 it cost 9-13 µs per 1,420-byte packet on this project's machine, most of it
 * in a generic field arithmetic for Poly1305 and in re-initialising the cipher per nonce, which
 * also refuses a repeated decryption nonce. Here ChaCha20 keeps its state in locals and XORs the
 * keystream straight into the buffer, and Poly1305 is the 26-bit-limb form of poly1305-donna
 * (five limbs, products in {@code long}), so no allocation happens per packet but the 32-byte
 * one-time key. The results are checked against RFC 8439's vectors and against the JDK's cipher.
 *
 * <p>The nonce is RFC 8439's 96 bits given as three little-endian words; WireGuard's is
 * {@code 0, (int) counter, (int) (counter >>> 32)} ({@link #seal(long, byte[], int, int)}).
 * Opening compares the tag in constant time and decrypts nothing unless it matches. The key is
 * held as eight words, zeroed by {@link #destroy}; a destroyed instance refuses to seal, so a
 * packet is never encrypted under the all-zero key. Thread-safe for concurrent sealing and opening
 * (the key is only read); {@link #destroy} must not race with them (the caller's lock sees to it).
 */
final class ChaChaPoly {

  /** Bytes of the tag that follows every ciphertext. */
  static final int TAG_LEN = 16;

  private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int C0 = 0x61707865;
  private static final int C1 = 0x3320646e;
  private static final int C2 = 0x79622d32;
  private static final int C3 = 0x6b206574;
  private static final long MASK26 = 0x3ffffff;
  private static final long MASK32 = 0xffffffffL;
  private static final byte[] ZEROS = new byte[16];

  private final int[] key = new int[8];
  private volatile boolean destroyed;

  /** Takes a copy of the 32-byte {@code key}. */
  ChaChaPoly(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("a ChaCha20-Poly1305 key has 32 bytes, not " + key.length);
    }
    for (int i = 0; i < 8; i++) {
      this.key[i] = (int) LE_INT.get(key, 4 * i);
    }
  }

  /**
   * Encrypts {@code buf[off, off + len)} in place under WireGuard's nonce for {@code counter}, no
   * associated data, and writes the tag at {@code off + len}.
   *
   * @throws IllegalStateException if {@link #destroy} ran
   */
  void seal(long counter, byte[] buf, int off, int len) {
    seal(0, (int) counter, (int) (counter >>> 32), null, buf, off, len);
  }

  /**
   * Checks the tag at {@code buf[off + len - 16, off + len)} of the ciphertext before it, under
   * WireGuard's nonce for {@code counter} and no associated data; if it is authentic, decrypts
   * the ciphertext in place.
   *
   * @return whether the tag was authentic (if not, {@code buf} is unchanged)
   */
  boolean open(long counter, byte[] buf, int off, int len) {
    return open(0, (int) counter, (int) (counter >>> 32), null, buf, off, len);
  }

  /** {@link #seal(long, byte[], int, int)} with an explicit nonce and associated data ({@code null}: none). */
  void seal(int n0, int n1, int n2, byte[] aad, byte[] buf, int off, int len) {
    if (destroyed) {
      throw new IllegalStateException("the session's keys were destroyed");
    }
    seal(key, n0, n1, n2, aad, buf, off, len);
  }

  /** {@link #open(long, byte[], int, int)} with an explicit nonce and associated data ({@code null}: none). */
  boolean open(int n0, int n1, int n2, byte[] aad, byte[] buf, int off, int len) {
    return !destroyed && open(key, n0, n1, n2, aad, buf, off, len);
  }

  /** Seals in place under the key words {@code key} (what the instance methods and small batches do). */
  static void seal(int[] key, int n0, int n1, int n2, byte[] aad, byte[] buf, int off, int len) {
    java.util.Objects.checkFromIndexSize(off, len + TAG_LEN, buf.length);
    Poly1305 mac = new Poly1305(oneTimeKey(key, n0, n1, n2));
    xor(key, 1, n0, n1, n2, buf, off, len);
    authenticate(mac, aad, buf, off, len);
    mac.finish(buf, off + len);
  }

  /** Opens in place under the key words {@code key}: the tag first, then (if authentic) the decryption. */
  static boolean open(int[] key, int n0, int n1, int n2, byte[] aad, byte[] buf, int off, int len) {
    if (len < TAG_LEN) {
      return false;
    }
    java.util.Objects.checkFromIndexSize(off, len, buf.length);
    int cipherLen = len - TAG_LEN;
    byte[] tag = new byte[TAG_LEN];
    Poly1305 mac = new Poly1305(oneTimeKey(key, n0, n1, n2));
    authenticate(mac, aad, buf, off, cipherLen);
    mac.finish(tag, 0);
    if (!tagEquals(tag, buf, off + cipherLen)) {
      return false;
    }
    xor(key, 1, n0, n1, n2, buf, off, cipherLen);
    return true;
  }

  /** Compares a computed tag with the one at {@code buf[at, at + 16)} in constant time. */
  static boolean tagEquals(byte[] tag, byte[] buf, int at) {
    int diff = 0;
    for (int i = 0; i < TAG_LEN; i++) {
      diff |= tag[i] ^ buf[at + i];
    }
    return diff == 0;
  }

  /**
   * Copies the key's eight words into {@code dst} (for a {@link ChaChaBatch}).
   *
   * @return false, copying nothing, if {@link #destroy} ran
   */
  boolean keyWords(int[] dst) {
    if (destroyed) {
      return false;
    }
    System.arraycopy(key, 0, dst, 0, 8);
    return !destroyed;
  }

  /**
   * Writes at {@code out[at, at + 16)} the tag of the ciphertext {@code buf[off, off + len)} with
   * no associated data, under the 32-byte one-time key {@code oneTimeKey} (zeroed here).
   */
  static void tag(byte[] oneTimeKey, byte[] buf, int off, int len, byte[] out, int at) {
    Poly1305 mac = new Poly1305(oneTimeKey);
    authenticate(mac, null, buf, off, len);
    mac.finish(out, at);
  }

  /** Zeroes the key; sealing fails and opening refuses from now on. */
  void destroy() {
    destroyed = true;
    Arrays.fill(key, 0);
  }

  private static byte[] oneTimeKey(int[] key, int n0, int n1, int n2) {
    byte[] k = new byte[32];
    xor(key, 0, n0, n1, n2, k, 0, 32);
    return k;
  }

  /** RFC 8439 §2.8: aad, zeros to 16, ciphertext, zeros to 16, both lengths as 64-bit words. */
  private static void authenticate(Poly1305 mac, byte[] aad, byte[] buf, int off, int len) {
    int aadLen = aad == null ? 0 : aad.length;
    if (aadLen > 0) {
      mac.padded(aad, 0, aadLen);
    }
    mac.padded(buf, off, len);
    mac.block(aadLen, 0, len, 0, 1 << 24);
  }

  /**
   * XORs the ChaCha20 keystream for {@code key}, starting at block {@code counter}, into
   * {@code buf[off, off + len)}.
   */
  static void xor(int[] key, int counter, int n0, int n1, int n2, byte[] buf, int off, int len) {
    final int k0 = key[0];
    final int k1 = key[1];
    final int k2 = key[2];
    final int k3 = key[3];
    final int k4 = key[4];
    final int k5 = key[5];
    final int k6 = key[6];
    final int k7 = key[7];
    while (len > 0) {
      int x0 = C0;
      int x1 = C1;
      int x2 = C2;
      int x3 = C3;
      int x4 = k0;
      int x5 = k1;
      int x6 = k2;
      int x7 = k3;
      int x8 = k4;
      int x9 = k5;
      int x10 = k6;
      int x11 = k7;
      int x12 = counter;
      int x13 = n0;
      int x14 = n1;
      int x15 = n2;
      for (int i = 0; i < 10; i++) {
        // Columns.
        x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
        x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
        x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
        x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
        x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
        x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
        x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
        x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);
        // Diagonals.
        x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
        x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
        x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
        x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
        x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
        x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
        x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
        x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
      }
      x0 += C0;
      x1 += C1;
      x2 += C2;
      x3 += C3;
      x4 += k0;
      x5 += k1;
      x6 += k2;
      x7 += k3;
      x8 += k4;
      x9 += k5;
      x10 += k6;
      x11 += k7;
      x12 += counter;
      x13 += n0;
      x14 += n1;
      x15 += n2;
      if (len >= 64) {
        xorWord(buf, off, x0);
        xorWord(buf, off + 4, x1);
        xorWord(buf, off + 8, x2);
        xorWord(buf, off + 12, x3);
        xorWord(buf, off + 16, x4);
        xorWord(buf, off + 20, x5);
        xorWord(buf, off + 24, x6);
        xorWord(buf, off + 28, x7);
        xorWord(buf, off + 32, x8);
        xorWord(buf, off + 36, x9);
        xorWord(buf, off + 40, x10);
        xorWord(buf, off + 44, x11);
        xorWord(buf, off + 48, x12);
        xorWord(buf, off + 52, x13);
        xorWord(buf, off + 56, x14);
        xorWord(buf, off + 60, x15);
        off += 64;
        len -= 64;
      } else {
        int[] ks = {x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15};
        for (int i = 0; i < len; i++) {
          buf[off + i] ^= (byte) (ks[i >> 2] >>> ((i & 3) << 3));
        }
        Arrays.fill(ks, 0);
        len = 0;
      }
      counter++;
    }
  }

  private static void xorWord(byte[] buf, int at, int k) {
    LE_INT.set(buf, at, (int) LE_INT.get(buf, at) ^ k);
  }

  /** Poly1305 over whole 16-byte blocks, in five 26-bit limbs (poly1305-donna's 32-bit form). */
  private static final class Poly1305 {
    private final long r0;
    private final long r1;
    private final long r2;
    private final long r3;
    private final long r4;
    private final long s1;
    private final long s2;
    private final long s3;
    private final long s4;
    private final long pad0;
    private final long pad1;
    private final long pad2;
    private final long pad3;
    private long h0;
    private long h1;
    private long h2;
    private long h3;
    private long h4;

    /** Takes the 32-byte one-time key (r, clamped here, then s) and zeroes it. */
    Poly1305(byte[] key) {
      int t0 = (int) LE_INT.get(key, 0);
      int t1 = (int) LE_INT.get(key, 4);
      int t2 = (int) LE_INT.get(key, 8);
      int t3 = (int) LE_INT.get(key, 12);
      r0 = t0 & 0x3ffffff;
      r1 = ((t0 >>> 26) | (t1 << 6)) & 0x3ffff03;
      r2 = ((t1 >>> 20) | (t2 << 12)) & 0x3ffc0ff;
      r3 = ((t2 >>> 14) | (t3 << 18)) & 0x3f03fff;
      r4 = (t3 >>> 8) & 0x00fffff;
      s1 = r1 * 5;
      s2 = r2 * 5;
      s3 = r3 * 5;
      s4 = r4 * 5;
      pad0 = (int) LE_INT.get(key, 16) & MASK32;
      pad1 = (int) LE_INT.get(key, 20) & MASK32;
      pad2 = (int) LE_INT.get(key, 24) & MASK32;
      pad3 = (int) LE_INT.get(key, 28) & MASK32;
      Arrays.fill(key, (byte) 0);
    }

    /** Absorbs {@code b[off, off + len)} followed by zeros up to a multiple of 16 bytes. */
    void padded(byte[] b, int off, int len) {
      int end = off + (len & ~15);
      for (; off < end; off += 16) {
        block((int) LE_INT.get(b, off), (int) LE_INT.get(b, off + 4), (int) LE_INT.get(b, off + 8),
            (int) LE_INT.get(b, off + 12), 1 << 24);
      }
      int rest = len & 15;
      if (rest > 0) {
        byte[] last = Arrays.copyOf(ZEROS, 16);
        System.arraycopy(b, off, last, 0, rest);
        padded(last, 0, 16);
      }
    }

    /** One 16-byte block as four little-endian words; {@code hibit} is 2^128 in limb 4. */
    void block(int m0, int m1, int m2, int m3, int hibit) {
      long a0 = h0 + (m0 & MASK26);
      long a1 = h1 + (((m0 >>> 26) | (m1 << 6)) & MASK26);
      long a2 = h2 + (((m1 >>> 20) | (m2 << 12)) & MASK26);
      long a3 = h3 + (((m2 >>> 14) | (m3 << 18)) & MASK26);
      long a4 = h4 + ((m3 >>> 8) | hibit);
      long d0 = a0 * r0 + a1 * s4 + a2 * s3 + a3 * s2 + a4 * s1;
      long d1 = a0 * r1 + a1 * r0 + a2 * s4 + a3 * s3 + a4 * s2;
      long d2 = a0 * r2 + a1 * r1 + a2 * r0 + a3 * s4 + a4 * s3;
      long d3 = a0 * r3 + a1 * r2 + a2 * r1 + a3 * r0 + a4 * s4;
      long d4 = a0 * r4 + a1 * r3 + a2 * r2 + a3 * r1 + a4 * r0;
      long c = d0 >>> 26;
      a0 = d0 & MASK26;
      d1 += c;
      c = d1 >>> 26;
      a1 = d1 & MASK26;
      d2 += c;
      c = d2 >>> 26;
      a2 = d2 & MASK26;
      d3 += c;
      c = d3 >>> 26;
      a3 = d3 & MASK26;
      d4 += c;
      c = d4 >>> 26;
      a4 = d4 & MASK26;
      a0 += c * 5;
      c = a0 >>> 26;
      a0 &= MASK26;
      a1 += c;
      h0 = a0;
      h1 = a1;
      h2 = a2;
      h3 = a3;
      h4 = a4;
    }

    /** Writes the tag {@code (h mod p + s) mod 2^128} at {@code out[at, at + 16)}. */
    void finish(byte[] out, int at) {
      long a0 = h0;
      long a1 = h1;
      long a2 = h2;
      long a3 = h3;
      long a4 = h4;
      long c = a1 >>> 26;
      a1 &= MASK26;
      a2 += c;
      c = a2 >>> 26;
      a2 &= MASK26;
      a3 += c;
      c = a3 >>> 26;
      a3 &= MASK26;
      a4 += c;
      c = a4 >>> 26;
      a4 &= MASK26;
      a0 += c * 5;
      c = a0 >>> 26;
      a0 &= MASK26;
      a1 += c;
      // g = h + 5 - 2^130: if it is not negative, h >= p and g is h mod p. Chosen without a branch.
      long g0 = a0 + 5;
      c = g0 >>> 26;
      g0 &= MASK26;
      long g1 = a1 + c;
      c = g1 >>> 26;
      g1 &= MASK26;
      long g2 = a2 + c;
      c = g2 >>> 26;
      g2 &= MASK26;
      long g3 = a3 + c;
      c = g3 >>> 26;
      g3 &= MASK26;
      long g4 = a4 + c - (1L << 26);
      long useG = (g4 >>> 63) - 1; // all ones if g4 >= 0
      a0 = (a0 & ~useG) | (g0 & useG);
      a1 = (a1 & ~useG) | (g1 & useG);
      a2 = (a2 & ~useG) | (g2 & useG);
      a3 = (a3 & ~useG) | (g3 & useG);
      a4 = (a4 & ~useG) | (g4 & useG);
      long w0 = (a0 | (a1 << 26)) & MASK32;
      long w1 = ((a1 >>> 6) | (a2 << 20)) & MASK32;
      long w2 = ((a2 >>> 12) | (a3 << 14)) & MASK32;
      long w3 = ((a3 >>> 18) | (a4 << 8)) & MASK32;
      long f = w0 + pad0;
      LE_INT.set(out, at, (int) f);
      f = w1 + pad1 + (f >>> 32);
      LE_INT.set(out, at + 4, (int) f);
      f = w2 + pad2 + (f >>> 32);
      LE_INT.set(out, at + 8, (int) f);
      f = w3 + pad3 + (f >>> 32);
      LE_INT.set(out, at + 12, (int) f);
      h0 = h1 = h2 = h3 = h4 = 0;
    }
  }
}
