package io.overlaynet.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void theStepDoublesUpToTheMaximumAndEachDelayLiesInItsUpperHalf() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    long[] steps = {100, 200, 400, 800, 1000, 1000};
    for (long step : steps) {
      long d = b.nextMillis();
      assertTrue(d >= step / 2 && d <= step, d + " not in [" + step / 2 + ", " + step + "]");
    }
    assertEquals(6, b.failures());
  }

  @Test
  void theExtremesOfTheJitterAreReached() {
    Backoff low = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), n -> 0);
    Backoff high = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), n -> n);
    assertEquals(List.of(50L, 100L, 200L, 400L, 500L), draw(low, 5));
    assertEquals(List.of(100L, 200L, 400L, 800L, 1000L), draw(high, 5));
  }

  @Test
  void twoLoopsThatFailTogetherDoNotRetryInLockStep() {
    // A thousand agents after one etcd restart: their delays must spread, not coincide.
    Random seed = new Random(42);
    Backoff a = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), n -> (long) (seed.nextDouble() * (n + 1)));
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), n -> (long) (seed.nextDouble() * (n + 1)));
    assertNotEquals(draw(a, 8), draw(b, 8));
  }

  @Test
  void resetStartsAgainFromTheFirstStep() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), n -> n);
    draw(b, 4);
    b.reset();
    assertEquals(0, b.failures());
    assertEquals(100, b.nextMillis());
  }

  @Test
  void aPositiveDurationBelowAMillisecondCountsAsOne() {
    Backoff b = new Backoff(Duration.ofNanos(500_000), Duration.ofNanos(900_000), n -> n);
    assertEquals(1, b.nextMillis());
    assertEquals(1, b.nextMillis());
  }

  @Test
  void nonsenseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }

  private static List<Long> draw(Backoff b, int n) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(b.nextMillis());
    }
    return out;
  }
}
