package io.overlaynet.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WakeableLoopTest {

  private static long loopThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("test-loop-")).count();
  }

  @Test
  void aRoundRunsAfterItsDelayOrAtOnceWhenWoken() throws Exception {
    BlockingQueue<Boolean> rounds = new LinkedBlockingQueue<>();
    try (WakeableLoop loop = new WakeableLoop("test-loop-1", woken -> {
      rounds.add(woken);
      return 60_000; // far away: only wake() can start the next round
    })) {
      loop.start(0);
      assertEquals(Boolean.FALSE, rounds.poll(5, TimeUnit.SECONDS), "first round after the (zero) delay");
      assertEquals(null, rounds.poll(200, TimeUnit.MILLISECONDS), "nothing before the delay or a wake");
      loop.wake();
      assertEquals(Boolean.TRUE, rounds.poll(5, TimeUnit.SECONDS), "woken round");
    }
  }

  @Test
  void closeInterruptsARoundInProgressAndEndsTheThread() throws Exception {
    CountDownLatch inRound = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    WakeableLoop loop = new WakeableLoop("test-loop-2", woken -> {
      inRound.countDown();
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        interrupted.incrementAndGet();
        throw e;
      }
      return 0;
    });
    loop.start(0);
    assertTrue(inRound.await(5, TimeUnit.SECONDS));
    long start = System.nanoTime();
    loop.close();
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000, "close is prompt");
    assertEquals(1, interrupted.get());
    assertTrue(loop.isClosed());
    assertEquals(0, loopThreads(), "the thread ended");
    loop.close(); // idempotent
  }

  @Test
  void aFailingRoundDoesNotEndTheLoop() throws Exception {
    AtomicInteger rounds = new AtomicInteger();
    CountDownLatch second = new CountDownLatch(2);
    try (WakeableLoop loop = new WakeableLoop("test-loop-3", woken -> {
      rounds.incrementAndGet();
      second.countDown();
      throw new IllegalStateException("bug in a step");
    })) {
      loop.start(0);
      assertTrue(second.await(5, TimeUnit.SECONDS), "rounds go on after a failure: " + rounds.get());
      Thread.sleep(300);
      assertEquals(2, rounds.get(), "a failing round is retried after a pause, not at once");
    }
    assertFalse(loopThreads() > 0);
  }
}
