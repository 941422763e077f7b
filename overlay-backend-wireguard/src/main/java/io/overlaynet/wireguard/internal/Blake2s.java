package io.overlaynet.wireguard.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * BLAKE2s (RFC 7693): the hash of the WireGuard paper's HASH (32-byte output), MAC (keyed,
 * 16-byte output) and HMAC. The JDK has no BLAKE2; this is a plain implementation of RFC 7693
 * §3, checked against the RFC's vectors and Python's {@code hashlib.blake2s}.
 *
 * <p>One instance is one hash computation: {@link #update} any number of times, then
 * {@link #finish}. {@link #init} starts over (with a new length and key) without allocating, so
 * a caller may keep one instance for several hashes. Not thread-safe.
 *
 * <pre>{@code
 * byte[] digest = new Blake2s(32).update(data).finish();           // HASH(data)
 * byte[] mac = new Blake2s(16, key).update(a).update(b).finish();  // MAC(key, a || b)
 * Blake2s.hash(out, 0, 32, null, data, 0, data.length);            // one shot, into out
 * }</pre>
 *
 * <p>Internal: package-private.
 */
final class Blake2s {

  /** The block size in bytes; HMAC-BLAKE2s pads its key to this length. */
  static final int BLOCK_BYTES = 64;
  /** The longest output (BLAKE2s-256) and the longest key, in bytes. */
  static final int MAX_BYTES = 32;

  private static final int[] IV = {
      0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
      0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
  };

  // RFC 7693 §2.7: the message word permutation of each of the 10 rounds.
  private static final byte[][] SIGMA = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
      {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
      {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
      {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
      {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
      {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
      {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
      {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
      {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
      {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
  };

  private static final VarHandle LE_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private final int[] h = new int[8];
  private final int[] v = new int[16];
  private final int[] m = new int[16];
  private final byte[] buf = new byte[BLOCK_BYTES];
  private int bufLen;
  /** Bytes compressed so far (RFC 7693's t, a 64-bit counter). */
  private long t;
  private int outLen;
  private boolean finished;

  /**
   * Starts an unkeyed hash with an output of {@code outLen} bytes.
   *
   * @throws IllegalArgumentException if {@code outLen} is not 1..32
   */
  Blake2s(int outLen) {
    init(outLen, null, 0, 0);
  }

  /**
   * Starts a keyed hash (BLAKE2s's built-in MAC); a {@code null} or empty key means unkeyed.
   *
   * @throws IllegalArgumentException if {@code outLen} is not 1..32 or the key is longer than 32
   */
  Blake2s(int outLen, byte[] key) {
    init(outLen, key, 0, key == null ? 0 : key.length);
  }

  /**
   * Starts a new hash on this instance, forgetting the previous one; {@code key} may be
   * {@code null} when {@code keyLen} is 0. The key is copied into the first block, which is
   * wiped once compressed.
   *
   * @return this instance
   * @throws IllegalArgumentException if {@code outLen} is not 1..32 or {@code keyLen} not 0..32
   * @throws IndexOutOfBoundsException if the key range is outside {@code key}
   */
  Blake2s init(int outLen, byte[] key, int keyOff, int keyLen) {
    if (outLen < 1 || outLen > MAX_BYTES) {
      throw new IllegalArgumentException("BLAKE2s output length must be 1..32: " + outLen);
    }
    if (keyLen < 0 || keyLen > MAX_BYTES) {
      throw new IllegalArgumentException("BLAKE2s key length must be 0..32: " + keyLen);
    }
    if (keyLen > 0) {
      Objects.checkFromIndexSize(keyOff, keyLen, key.length);
    }
    System.arraycopy(IV, 0, h, 0, 8);
    // Parameter block (RFC 7693 §2.5): fanout 1, depth 1, key length, digest length.
    h[0] ^= 0x01010000 ^ (keyLen << 8) ^ outLen;
    this.outLen = outLen;
    t = 0;
    finished = false;
    Arrays.fill(buf, (byte) 0);
    bufLen = 0;
    if (keyLen > 0) {
      // The key, zero-padded, is the first block; it is compressed when more input arrives, or
      // as the final block if none does.
      System.arraycopy(key, keyOff, buf, 0, keyLen);
      bufLen = BLOCK_BYTES;
    }
    return this;
  }

  /** The output length in bytes this hash was started with. */
  int outLength() {
    return outLen;
  }

  /**
   * Absorbs one byte.
   *
   * @return this instance
   * @throws IllegalStateException after {@link #finish} (until {@link #init})
   */
  Blake2s update(byte b) {
    checkNotFinished();
    if (bufLen == BLOCK_BYTES) {
      compressBuffered();
    }
    buf[bufLen++] = b;
    return this;
  }

  /**
   * Absorbs all of {@code in}.
   *
   * @return this instance
   * @throws IllegalStateException after {@link #finish} (until {@link #init})
   */
  Blake2s update(byte[] in) {
    return update(in, 0, in.length);
  }

  /**
   * Absorbs {@code len} bytes of {@code in} from {@code off}.
   *
   * @return this instance
   * @throws IndexOutOfBoundsException if the range is outside {@code in}
   * @throws IllegalStateException after {@link #finish} (until {@link #init})
   */
  Blake2s update(byte[] in, int off, int len) {
    Objects.checkFromIndexSize(off, len, in.length);
    checkNotFinished();
    if (len == 0) {
      return this;
    }
    // The last block must be compressed with the final flag, so a full block is only
    // compressed once it is known that more input follows it.
    int fill = BLOCK_BYTES - bufLen;
    if (len > fill) {
      System.arraycopy(in, off, buf, bufLen, fill);
      bufLen = BLOCK_BYTES;
      off += fill;
      len -= fill;
      compressBuffered();
      while (len > BLOCK_BYTES) {
        t += BLOCK_BYTES;
        compress(in, off, false);
        off += BLOCK_BYTES;
        len -= BLOCK_BYTES;
      }
    }
    System.arraycopy(in, off, buf, bufLen, len);
    bufLen += len;
    return this;
  }

  /**
   * Finishes the hash and writes its {@link #outLength()} bytes to {@code out} at {@code off}.
   * The internal state is wiped; the instance needs {@link #init} before it hashes again.
   *
   * @throws IndexOutOfBoundsException if the output does not fit in {@code out}
   * @throws IllegalStateException if already finished
   */
  void finish(byte[] out, int off) {
    Objects.checkFromIndexSize(off, outLen, out.length);
    checkNotFinished();
    t += bufLen;
    Arrays.fill(buf, bufLen, BLOCK_BYTES, (byte) 0);
    compress(buf, 0, true);
    for (int i = 0; i < outLen; i++) {
      out[off + i] = (byte) (h[i >>> 2] >>> ((i & 3) << 3));
    }
    finished = true;
    wipe();
  }

  /**
   * Finishes the hash and returns its {@link #outLength()} bytes.
   *
   * @throws IllegalStateException if already finished
   */
  byte[] finish() {
    byte[] out = new byte[outLen];
    finish(out, 0);
    return out;
  }

  /**
   * One shot: BLAKE2s of {@code in[inOff, inOff + inLen)} under {@code key} ({@code null} for
   * none), {@code outLen} bytes written to {@code out} at {@code outOff}.
   *
   * @throws IllegalArgumentException if {@code outLen} is not 1..32 or the key is longer than 32
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  static void hash(byte[] out, int outOff, int outLen, byte[] key, byte[] in, int inOff,
      int inLen) {
    new Blake2s(outLen, key).update(in, inOff, inLen).finish(out, outOff);
  }

  private void checkNotFinished() {
    if (finished) {
      throw new IllegalStateException("BLAKE2s already finished; call init() to hash again");
    }
  }

  private void compressBuffered() {
    t += BLOCK_BYTES;
    compress(buf, 0, false);
    bufLen = 0;
  }

  /** RFC 7693 §3.2, function F. */
  private void compress(byte[] block, int off, boolean last) {
    int[] v = this.v;
    int[] m = this.m;
    for (int i = 0; i < 16; i++) {
      m[i] = (int) LE_INT.get(block, off + (i << 2));
    }
    System.arraycopy(h, 0, v, 0, 8);
    System.arraycopy(IV, 0, v, 8, 8);
    v[12] ^= (int) t;
    v[13] ^= (int) (t >>> 32);
    if (last) {
      v[14] = ~v[14];
    }
    for (int r = 0; r < 10; r++) {
      byte[] s = SIGMA[r];
      g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) {
      h[i] ^= v[i] ^ v[i + 8];
    }
    if (block == buf) {
      // The buffered block may be the key block: do not leave it behind.
      Arrays.fill(buf, (byte) 0);
    }
  }

  /** RFC 7693 §3.1, the mixing function G with BLAKE2s's rotations 16, 12, 8, 7. */
  private static void g(int[] v, int a, int b, int c, int d, int x, int y) {
    v[a] = v[a] + v[b] + x;
    v[d] = Integer.rotateRight(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = Integer.rotateRight(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + y;
    v[d] = Integer.rotateRight(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d];
    v[b] = Integer.rotateRight(v[b] ^ v[c], 7);
  }

  private void wipe() {
    Arrays.fill(h, 0);
    Arrays.fill(v, 0);
    Arrays.fill(m, 0);
    Arrays.fill(buf, (byte) 0);
    bufLen = 0;
    t = 0;
  }
}
