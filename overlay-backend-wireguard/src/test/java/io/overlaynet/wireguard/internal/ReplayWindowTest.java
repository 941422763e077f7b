package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {

  private static final int W = ReplayWindow.WINDOW;
  private static final long LIMIT = Protocol.REJECT_AFTER_MESSAGES;

  @Test
  void windowIsWireGuardGosSize() {
    assertEquals(8128, W);
  }

  @Test
  void inOrderCountersAreAcceptedOnceEach() {
    ReplayWindow w = new ReplayWindow();
    for (long c = 0; c < 3 * W; c++) {
      assertTrue(w.accept(c), "first " + c);
      assertFalse(w.accept(c), "again " + c);
    }
    assertEquals(3L * W - 1, w.highest());
  }

  @Test
  void counterZeroIsAcceptedOnce() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(0));
    assertFalse(w.accept(0));
    assertEquals(0, w.highest());
  }

  @Test
  void reorderedCountersWithinTheWindowAreAcceptedOnce() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(1000));
    for (long c : new long[] {999, 1, 500, 0, 1001, 998, 64, 63, 65}) {
      assertTrue(w.accept(c), "first " + c);
    }
    for (long c : new long[] {999, 1, 500, 0, 1001, 998, 64, 63, 65, 1000}) {
      assertFalse(w.accept(c), "again " + c);
    }
    assertTrue(w.accept(2), "never seen, within the window");
    assertEquals(1001, w.highest(), "older counters do not move the window");
  }

  @Test
  void theWindowReachesExactlyWindowCountersBack() {
    ReplayWindow w = new ReplayWindow();
    long top = 100_000;
    assertTrue(w.accept(top));
    assertFalse(w.accept(top - W - 1), "one behind the window");
    assertTrue(w.accept(top - W), "the oldest counter in the window");
    assertFalse(w.accept(top - W));
  }

  @Test
  void countersFallOutOfTheWindowAsItMoves() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(100));
    assertTrue(w.accept(100 + W));
    assertTrue(w.accept(101), "WINDOW - 1 behind: still in");
    assertTrue(w.accept(100 + W + 10));
    assertFalse(w.accept(105), "now WINDOW + 5 behind: never seen, yet too old");
    assertFalse(w.accept(109), "WINDOW + 1 behind");
    assertTrue(w.accept(110), "exactly WINDOW behind");
    assertFalse(w.accept(0));
  }

  @Test
  void aJumpBeyondTheRingForgetsEverythingOld() {
    ReplayWindow w = new ReplayWindow();
    for (long c = 0; c < 200; c++) {
      assertTrue(w.accept(c));
    }
    long top = 1L << 40;
    assertTrue(w.accept(top));
    for (long c = 0; c < 200; c++) {
      assertFalse(w.accept(c), "too old after the jump: " + c);
    }
    // Every counter in the new window is new, although the old ones map to the same ring bits.
    for (long c = top - W; c < top; c++) {
      assertTrue(w.accept(c), "new " + c);
    }
    assertFalse(w.accept(top));
  }

  @Test
  void aCounterOneRingAheadReusesTheSameBitAsNew() {
    // c and c + 8192 share a bit of the ring: accepting the second must clear it first.
    for (long c = 0; c < 3 * Long.SIZE; c++) {
      ReplayWindow w = new ReplayWindow();
      assertTrue(w.accept(c));
      assertTrue(w.accept(c + ReplayWindow.BLOCKS * Long.SIZE), "aliasing counter after " + c);
      assertFalse(w.accept(c), "now too old: " + c);
    }
  }

  @Test
  void aJumpWithinTheRingClearsOnlyTheBlocksItEnters() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(1000));
    assertTrue(w.accept(1000 + 64 * 100)); // 100 blocks on: 1000 is still in the window
    assertFalse(w.accept(1000), "a jump must not forget counters still in the window");
    assertTrue(w.accept(1001));
  }

  @Test
  void countersAtOrAboveTheLimitAreRejected() {
    ReplayWindow w = new ReplayWindow();
    assertFalse(w.accept(LIMIT));
    assertFalse(w.accept(LIMIT + 1));
    assertFalse(w.accept(-1L), "2^64 - 1");
    assertTrue(w.accept(LIMIT - 1), "the last counter a keypair may use");
    assertFalse(w.accept(LIMIT - 1));
    assertTrue(w.accept(LIMIT - 2));
    assertFalse(w.accept(LIMIT), "still rejected once the window is at the top");
    assertEquals(LIMIT - 1, w.highest());
  }

  @Test
  void countersAboveTwoToTheSixtyThreeAreUnsigned() {
    ReplayWindow w = new ReplayWindow();
    long big = Long.MIN_VALUE; // 2^63
    assertTrue(w.accept(big));
    assertTrue(w.accept(big - 1), "2^63 - 1 is just behind, not far ahead");
    assertTrue(w.accept(big + 1));
    assertFalse(w.accept(5), "far behind");
    assertEquals(big + 1, w.highest());
  }

  @Test
  void concurrentReceiversAcceptEachCounterExactlyOnce() throws InterruptedException {
    // Several receive threads see the same authenticated counters (as after a duplication on the
    // path): each counter must come through once in all, never twice.
    int n = 200_000;
    int threads = 4;
    ReplayWindow w = new ReplayWindow();
    AtomicIntegerArray accepted = new AtomicIntegerArray(n);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int c = 0; c < n; c++) {
          if (w.accept(c)) {
            accepted.incrementAndGet(c);
          }
        }
      });
      th.start();
      all.add(th);
    }
    start.countDown();
    for (Thread th : all) {
      th.join(60_000);
    }
    for (int c = 0; c < n; c++) {
      assertEquals(1, accepted.get(c), "counter " + c);
    }
  }
}
