package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watchdog pinger against a bound AF_UNIX datagram socket standing in for systemd: pings while
 * the health check holds, none while it fails, none after close.
 */
class SystemdWatchdogTest {

  static final String NOTHING = "(nothing)";

  @TempDir
  Path dir;

  @Test
  void pingsEveryHalfTimeoutWhileHealthy() throws Exception {
    try (AgentProcessIT.NotifySocket systemd = new AgentProcessIT.NotifySocket(dir.resolve("notify"));
        SystemdWatchdog w = SystemdWatchdog.start(systemd.path.toString(), Duration.ofMillis(400), () -> true)) {
      assertEquals(Optional.of(Duration.ofMillis(200)), w.period());
      long start = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        assertEquals("WATCHDOG=1", systemd.receive(Duration.ofSeconds(5)), "ping " + i);
      }
      // The first ping goes at once, then one every 200 ms: 5 pings take at least 800 ms.
      assertTrue(System.nanoTime() - start >= Duration.ofMillis(700).toNanos(), "pings come faster than every 200 ms");
    }
  }

  @Test
  void noPingsWhileTheHealthCheckFailsAndPingsAgainWhenItHolds() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(true);
    try (AgentProcessIT.NotifySocket systemd = new AgentProcessIT.NotifySocket(dir.resolve("notify"));
        SystemdWatchdog w = SystemdWatchdog.start(systemd.path.toString(), Duration.ofMillis(200), healthy::get)) {
      assertEquals("WATCHDOG=1", systemd.receive(Duration.ofSeconds(5)));
      healthy.set(false);
      drain(systemd); // a ping that was under way when the check began to fail
      assertEquals(NOTHING, systemd.receive(Duration.ofMillis(600)), "pinged while unhealthy (period 100 ms)");
      healthy.set(true);
      assertEquals("WATCHDOG=1", systemd.receive(Duration.ofSeconds(5)), "no ping once healthy again");
    }
  }

  @Test
  void aHealthCheckThatThrowsCountsAsFailed() throws Exception {
    try (AgentProcessIT.NotifySocket systemd = new AgentProcessIT.NotifySocket(dir.resolve("notify"));
        SystemdWatchdog w = SystemdWatchdog.start(systemd.path.toString(), Duration.ofMillis(200), () -> {
          throw new IllegalStateException("broken");
        })) {
      assertEquals(NOTHING, systemd.receive(Duration.ofMillis(600)));
    }
  }

  @Test
  void closeStopsThePingsPromptly() throws Exception {
    try (AgentProcessIT.NotifySocket systemd = new AgentProcessIT.NotifySocket(dir.resolve("notify"))) {
      // A long period: close must not wait for the next tick.
      SystemdWatchdog slow = SystemdWatchdog.start(systemd.path.toString(), Duration.ofSeconds(60), () -> true);
      assertEquals("WATCHDOG=1", systemd.receive(Duration.ofSeconds(5)));
      long start = System.nanoTime();
      slow.close();
      assertTrue(System.nanoTime() - start < Duration.ofMillis(500).toNanos(), "close took longer than 500 ms");

      SystemdWatchdog fast = SystemdWatchdog.start(systemd.path.toString(), Duration.ofMillis(100), () -> true);
      assertEquals("WATCHDOG=1", systemd.receive(Duration.ofSeconds(5)));
      fast.close();
      fast.close(); // idempotent
      drain(systemd);
      assertEquals(NOTHING, systemd.receive(Duration.ofMillis(500)), "pinged after close (period 50 ms)");
      assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("overlaynet-watchdog")),
          "the pinger thread still runs");
    }
  }

  @Test
  void aTimeoutMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> SystemdWatchdog.start("@x", Duration.ZERO, () -> true));
  }

  private static void drain(AgentProcessIT.NotifySocket systemd) throws InterruptedException {
    while (!systemd.receive(Duration.ofMillis(60)).equals(NOTHING)) {
      // older pings
    }
  }
}
