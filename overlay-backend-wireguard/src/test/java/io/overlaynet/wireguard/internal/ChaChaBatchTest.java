package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** A batch seals and opens exactly as {@link ChaChaPoly} does message by message, keys and counters mixed. */
class ChaChaBatchTest {

  static int[] words(byte[] key) {
    int[] w = new int[8];
    assertTrue(new ChaChaPoly(key).keyWords(w));
    return w;
  }

  @Property(tries = 60)
  void sealsAndOpensAsOneByOne(@ForAll @IntRange(min = 1, max = 50) int messages, @ForAll long seed) {
    Random r = new Random(seed);
    byte[][] keys = new byte[3][32];
    for (byte[] k : keys) {
      r.nextBytes(k);
    }
    ChaChaBatch batch = new ChaChaBatch(64, 64 * 24);
    byte[] buf = new byte[messages * 1600];
    List<byte[]> expected = new ArrayList<>();
    int[] offs = new int[messages];
    int[] lens = new int[messages];
    int[] keyOf = new int[messages];
    long[] counters = new long[messages];
    int at = 0;
    for (int m = 0; m < messages; m++) {
      int len = r.nextInt(10) == 0 ? r.nextInt(70) : r.nextInt(1425);
      byte[] plain = new byte[len];
      r.nextBytes(plain);
      keyOf[m] = r.nextInt(keys.length);
      counters[m] = r.nextLong();
      byte[] one = Arrays.copyOf(plain, len + 16);
      new ChaChaPoly(keys[keyOf[m]]).seal(counters[m], one, 0, len);
      expected.add(one);
      System.arraycopy(plain, 0, buf, at, len);
      offs[m] = at;
      lens[m] = len;
      assertTrue(batch.fits(len));
      assertEquals(m, batch.add(words(keys[keyOf[m]]), counters[m], buf, at, len));
      at += len + 16 + r.nextInt(3);
    }
    batch.seal();
    assertEquals(0, batch.size());
    for (int m = 0; m < messages; m++) {
      assertArrayEquals(expected.get(m), Arrays.copyOfRange(buf, offs[m], offs[m] + lens[m] + 16), "message " + m);
    }
    // Open them all again, one forged.
    int forged = r.nextInt(messages);
    buf[offs[forged] + r.nextInt(lens[forged] + 16)] ^= 4;
    for (int m = 0; m < messages; m++) {
      batch.add(words(keys[keyOf[m]]), counters[m], buf, offs[m], lens[m] + 16);
    }
    boolean[] opened = new boolean[messages];
    batch.open(opened);
    for (int m = 0; m < messages; m++) {
      if (m == forged) {
        assertFalse(opened[m], "the forged message");
        continue;
      }
      assertTrue(opened[m], "message " + m);
      byte[] back = Arrays.copyOf(expected.get(m), lens[m] + 16);
      assertTrue(new ChaChaPoly(keys[keyOf[m]]).open(counters[m], back, 0, back.length));
      assertArrayEquals(Arrays.copyOf(back, lens[m]), Arrays.copyOfRange(buf, offs[m], offs[m] + lens[m]));
    }
  }

  @Test
  void smallBatchesGoTheScalarWayAndLargeOnesTheLaneWayWithTheSameResult() {
    byte[] key = new byte[32];
    new Random(5).nextBytes(key);
    for (int messages : new int[] {1, 3, 40}) {
      ChaChaBatch batch = new ChaChaBatch(64, 64 * 24);
      byte[] buf = new byte[messages * 1500];
      byte[] expected = buf.clone();
      for (int m = 0; m < messages; m++) {
        int len = m % 2 == 0 ? 1424 : 64; // lanes: 1 -> 24 (scalar), 3 -> 50, 40 -> 540
        batch.add(words(key), 1000 + m, buf, m * 1500, len);
        new ChaChaPoly(key).seal(1000 + m, expected, m * 1500, len);
      }
      batch.seal();
      assertArrayEquals(expected, buf, messages + " messages");
    }
  }

  @Test
  void aFullBatchSaysSo() {
    ChaChaBatch batch = new ChaChaBatch(2, 10);
    int[] key = new int[8];
    byte[] buf = new byte[4096];
    assertTrue(batch.fits(64 * 8));
    batch.add(key, 0, buf, 0, 64 * 8); // 9 blocks
    assertFalse(batch.fits(1));        // 2 more blocks would not fit
    assertThrows(IllegalStateException.class, () -> batch.add(key, 1, buf, 1024, 1));
    assertTrue(batch.fits(0));
    batch.add(key, 1, buf, 1024, 0);
    assertFalse(batch.fits(0), "two messages at most");
  }

  @Test
  void aDestroyedKeyGivesNoWords() {
    ChaChaPoly c = new ChaChaPoly(new byte[32]);
    c.destroy();
    assertFalse(c.keyWords(new int[8]));
  }
}
