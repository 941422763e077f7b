package io.overlaynet.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.testing.TestThreads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The loop's timing is checked by what cannot vary with load: a wait is never shorter than asked
 * (so the gap between two rounds has a lower bound), and a close that does not wait for a round
 * of 60 s is prompt by any deadline far below 60 s. The loop's own thread is captured in the
 * step, so no other test's thread can be counted.
 */
class WakeableLoopTest {

  /** Far longer than any deadline below: whatever ends such a wait early was a wake or a close. */
  private static final long FAR_MS = 60_000;

  /** A bound with margin for a loaded machine, still far below {@link #FAR_MS}. */
  private static final Duration PROMPT = Duration.ofSeconds(10);

  @Test
  void aRoundRunsAfterItsDelayOrAtOnceWhenWoken() throws Exception {
    BlockingQueue<Boolean> rounds = new LinkedBlockingQueue<>();
    try (WakeableLoop loop = new WakeableLoop("test-loop-1", woken -> {
      rounds.add(woken);
      return FAR_MS; // only wake() can start the next round
    })) {
      loop.start(0);
      assertEquals(Boolean.FALSE, rounds.poll(PROMPT.toMillis(), TimeUnit.MILLISECONDS), "first round after the (zero) delay");
      assertEquals(null, rounds.poll(200, TimeUnit.MILLISECONDS), "nothing before the delay or a wake");
      loop.wake();
      assertEquals(Boolean.TRUE, rounds.poll(PROMPT.toMillis(), TimeUnit.MILLISECONDS), "woken round");
    }
  }

  @Test
  void closeInterruptsARoundInProgressAndEndsTheThread() throws Exception {
    CompletableFuture<Thread> inRound = new CompletableFuture<>();
    CountDownLatch interrupted = new CountDownLatch(1);
    WakeableLoop loop = new WakeableLoop("test-loop-2", woken -> {
      inRound.complete(Thread.currentThread());
      try {
        Thread.sleep(FAR_MS);
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
      return 0;
    });
    loop.start(0);
    Thread thread = inRound.get(PROMPT.toMillis(), TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    loop.close();
    long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(closeMs < PROMPT.toMillis(), "close waited " + closeMs + " ms: it must interrupt the 60 s round");
    assertTrue(interrupted.await(PROMPT.toMillis(), TimeUnit.MILLISECONDS), "the round was interrupted");
    assertTrue(loop.isClosed());
    TestThreads.assertEnd(List.of(thread), PROMPT);
    loop.close(); // idempotent
  }

  @Test
  void aFailingRoundDoesNotEndTheLoopAndIsRetriedAfterAPause() throws Exception {
    BlockingQueue<Long> rounds = new LinkedBlockingQueue<>();
    CompletableFuture<Thread> thread = new CompletableFuture<>();
    try (WakeableLoop loop = new WakeableLoop("test-loop-3", woken -> {
      thread.complete(Thread.currentThread());
      rounds.add(System.nanoTime());
      throw new IllegalStateException("bug in a step");
    })) {
      loop.start(0);
      Long first = rounds.poll(PROMPT.toMillis(), TimeUnit.MILLISECONDS);
      Long second = rounds.poll(PROMPT.toMillis(), TimeUnit.MILLISECONDS);
      assertTrue(first != null && second != null, "rounds go on after a failure");
      // The loop waits at least 1 s after a failed round; a wait is never shorter than asked, so
      // this holds however loaded the machine (a little slack for millisecond rounding).
      long gapMs = TimeUnit.NANOSECONDS.toMillis(second - first);
      assertTrue(gapMs >= 990, "a failing round is retried after a pause, not at once: " + gapMs + " ms");
    }
    TestThreads.assertEnd(List.of(thread.get()), PROMPT);
  }
}
