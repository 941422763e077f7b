package io.overlaynet.wireguard.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * ChaCha20-Poly1305 for many messages at once: the data path's batches (a TCP super-packet cut
 * into ~45 packets, a receive of a GRO train) seal or open together.
 *
 * <p>Why: ChaCha20 is 20 rounds of add, xor and rotate over 16 words per 64-byte block; one block
 * at a time each step waits for the one before. Here every block of every message of the batch
 * is a <em>lane</em>: word {@code w} of all lanes is one {@code int[]}, and each step of the rounds
 * is a plain loop over the lanes, which C2 runs as independent (and vectorisable) work; the
 * rotations are written as shifts, which C2 vectorises ({@code Integer.rotateLeft} it does not, on
 * JDK 17). Measured on this project's machine: about 40 ns per block against about 210 ns for
 * {@link ChaChaPoly}'s block function. A batch of a few blocks (a keepalive, an ACK) goes the
 * scalar way, where the loops' set-up would cost more than they save. Poly1305 stays per message.
 *
 * <p>Each message brings its own key words (copied in, so a session retired meanwhile does not
 * matter; the copies are zeroed when the batch empties) and nonce. {@link #seal} and {@link #open}
 * give exactly what {@link ChaChaPoly#seal(long, byte[], int, int)} and
 * {@link ChaChaPoly#open(long, byte[], int, int)} give, message by message (checked by tests). Not
 * thread-safe: one per thread.
 */
final class ChaChaBatch {

  /** Below this many blocks a batch is done one message at a time. */
  static final int MIN_LANES = 32;

  private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

  private final int maxMessages;
  private final int maxBlocks;
  /** The working state, word by word: {@code x[w][lane]}. */
  private final int[][] x = new int[16][];
  private int lanes;
  private int count;
  private final int[][] keys;
  private final long[] counters;
  private final byte[][] bufs;
  private final int[] offs;
  private final int[] lens;
  /** The lane of each message's block 0 (its Poly1305 key); its data blocks follow. */
  private final int[] firstLane;

  /** A batch of at most {@code maxMessages} messages and {@code maxBlocks} blocks (one per 64 bytes, plus one each). */
  ChaChaBatch(int maxMessages, int maxBlocks) {
    this.maxMessages = maxMessages;
    this.maxBlocks = maxBlocks;
    for (int w = 0; w < 16; w++) {
      x[w] = new int[maxBlocks];
    }
    keys = new int[maxMessages][8];
    counters = new long[maxMessages];
    bufs = new byte[maxMessages][];
    offs = new int[maxMessages];
    lens = new int[maxMessages];
    firstLane = new int[maxMessages];
  }

  /** Returns how many blocks a message of {@code len} bytes takes: its Poly1305 key, then its data. */
  static int blocks(int len) {
    return 1 + (len + 63) / 64;
  }

  /** Returns whether a message of {@code len} bytes still fits. */
  boolean fits(int len) {
    return count < maxMessages && lanes + blocks(len) <= maxBlocks;
  }

  /** Returns how many messages are in the batch. */
  int size() {
    return count;
  }

  /**
   * Adds the message {@code buf[off, off + len)} (for {@link #seal}: plaintext, with 16 bytes of
   * room after it for the tag; for {@link #open}: ciphertext and tag) under the eight key words
   * {@code key} (copied) and WireGuard's nonce for {@code counter}.
   *
   * @return its index in the batch
   * @throws IllegalStateException if it does not {@link #fits fit}
   */
  int add(int[] key, long counter, byte[] buf, int off, int len) {
    if (!fits(len)) {
      throw new IllegalStateException("the batch is full");
    }
    int m = count++;
    System.arraycopy(key, 0, keys[m], 0, 8);
    counters[m] = counter;
    bufs[m] = buf;
    offs[m] = off;
    lens[m] = len;
    firstLane[m] = lanes;
    lanes += blocks(len);
    return m;
  }

  /** Seals every message in place (the tag after each) and empties the batch. */
  void seal() {
    if (lanes < MIN_LANES) {
      for (int m = 0; m < count; m++) {
        ChaChaPoly.seal(keys[m], 0, (int) counters[m], (int) (counters[m] >>> 32), null, bufs[m], offs[m], lens[m]);
      }
    } else {
      keystream();
      for (int m = 0; m < count; m++) {
        int len = lens[m];
        xor(m, len);
        ChaChaPoly.tag(oneTimeKey(m), bufs[m], offs[m], len, bufs[m], offs[m] + len);
      }
    }
    clear();
  }

  /**
   * Opens every message in place if its tag is authentic, and empties the batch; {@code opened}
   * receives, per message, whether it was (a message that was not is left as it came).
   */
  void open(boolean[] opened) {
    if (lanes < MIN_LANES) {
      for (int m = 0; m < count; m++) {
        opened[m] = ChaChaPoly.open(keys[m], 0, (int) counters[m], (int) (counters[m] >>> 32), null, bufs[m], offs[m],
            lens[m]);
      }
      clear();
      return;
    }
    keystream();
    byte[] tag = new byte[ChaChaPoly.TAG_LEN];
    for (int m = 0; m < count; m++) {
      int cipherLen = lens[m] - ChaChaPoly.TAG_LEN;
      boolean good = false;
      if (cipherLen >= 0) {
        ChaChaPoly.tag(oneTimeKey(m), bufs[m], offs[m], cipherLen, tag, 0);
        good = ChaChaPoly.tagEquals(tag, bufs[m], offs[m] + cipherLen);
        if (good) {
          xor(m, cipherLen);
        }
      }
      opened[m] = good;
    }
    clear();
  }

  /** The first 32 bytes of message {@code m}'s block 0 (the rounds' output plus the initial state). */
  private byte[] oneTimeKey(int m) {
    byte[] k = new byte[32];
    int l = firstLane[m];
    for (int w = 0; w < 8; w++) {
      LE_INT.set(k, 4 * w, x[w][l] + initial(m, w));
    }
    return k;
  }

  /**
   * XORs message {@code m}'s keystream (blocks 1..) into its first {@code len} bytes: each word is
   * the rounds' output plus the initial state (added here rather than in a pass of its own), one
   * word of every block at a time.
   */
  private void xor(int m, int len) {
    byte[] buf = bufs[m];
    int off = offs[m];
    int first = firstLane[m];
    int[] init = new int[16];
    for (int w = 0; w < 16; w++) {
      init[w] = initial(m, w);
    }
    int full = len & ~63;
    int blocks = full >> 6;
    // Word by word, block by block: one lane array at a time, read in order.
    for (int w = 0; w < 16; w++) {
      int[] xw = x[w];
      int iw = init[w];
      int p = off + 4 * w;
      for (int b = 0, lane = first + 1; b < blocks; b++, lane++, p += 64) {
        int k = xw[lane] + (w == 12 ? lane - first : iw);
        LE_INT.set(buf, p, (int) LE_INT.get(buf, p) ^ k);
      }
    }
    int lane = first + 1 + blocks;
    init[12] = lane - first;
    for (int i = full; i < len; i++) {
      int w = (i & 63) >> 2;
      buf[off + i] ^= (byte) ((x[w][lane] + init[w]) >>> ((i & 3) << 3));
    }
  }

  private void clear() {
    for (int m = 0; m < count; m++) {
      Arrays.fill(keys[m], 0);
    }
    Arrays.fill(bufs, 0, count, null);
    lanes = 0;
    count = 0;
  }

  /** The initial value of word {@code w} of message {@code m}'s blocks (word 12, the block counter, aside). */
  private int initial(int m, int w) {
    if (w < 4) {
      return SIGMA[w];
    }
    if (w < 12) {
      return keys[m][w - 4];
    }
    return switch (w) {
      case 13 -> 0;
      case 14 -> (int) counters[m];
      default -> (int) (counters[m] >>> 32);
    };
  }

  /**
   * Sets every lane's initial state and runs the 20 rounds over all lanes; the keystream is then
   * {@code x} plus the initial state, which {@link #xor} and {@link #oneTimeKey} add as they read.
   */
  private void keystream() {
    int n = lanes;
    for (int m = 0; m < count; m++) {
      int from = firstLane[m];
      int to = m + 1 < count ? firstLane[m + 1] : n;
      for (int w = 0; w < 16; w++) {
        if (w == 12) {
          int[] x12 = x[12];
          for (int j = from; j < to; j++) {
            x12[j] = j - from;
          }
        } else {
          Arrays.fill(x[w], from, to, initial(m, w));
        }
      }
    }
    for (int i = 0; i < 10; i++) {
      quarter(x[0], x[4], x[8], x[12], n);
      quarter(x[1], x[5], x[9], x[13], n);
      quarter(x[2], x[6], x[10], x[14], n);
      quarter(x[3], x[7], x[11], x[15], n);
      quarter(x[0], x[5], x[10], x[15], n);
      quarter(x[1], x[6], x[11], x[12], n);
      quarter(x[2], x[7], x[8], x[13], n);
      quarter(x[3], x[4], x[9], x[14], n);
    }
  }

  /** The quarter round on words a, b, c, d of lanes [0, n); shifts, not rotateLeft, so C2 vectorises it. */
  private static void quarter(int[] a, int[] b, int[] c, int[] d, int n) {
    for (int j = 0; j < n; j++) {
      int va = a[j];
      int vb = b[j];
      int vc = c[j];
      int vd = d[j];
      va += vb;
      vd ^= va;
      vd = (vd << 16) | (vd >>> 16);
      vc += vd;
      vb ^= vc;
      vb = (vb << 12) | (vb >>> 20);
      va += vb;
      vd ^= va;
      vd = (vd << 8) | (vd >>> 24);
      vc += vd;
      vb ^= vc;
      vb = (vb << 7) | (vb >>> 25);
      a[j] = va;
      b[j] = vb;
      c[j] = vc;
      d[j] = vd;
    }
  }
}
