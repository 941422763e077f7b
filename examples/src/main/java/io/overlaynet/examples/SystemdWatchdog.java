package io.overlaynet.examples;

import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.SdNotify;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds systemd's service watchdog ({@code WatchdogSec=} in the unit) for the example agent: a
 * daemon thread sends {@code WATCHDOG=1} every half timeout, as {@code sd_watchdog_enabled(3)}
 * advises, while a health check holds. When the check fails the pings stop, and systemd kills and
 * (with {@code Restart=on-failure}) restarts the agent once the timeout passes; a check that holds
 * again before that resumes them. A JVM too wedged to run this thread stops them as well.
 *
 * <pre>{@code
 * try (SystemdWatchdog w = SystemdWatchdog.fromEnvironment(() -> !agent.stopped().isDone())) {
 *   agent.stopped().join();
 * }
 * }</pre>
 */
final class SystemdWatchdog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SystemdWatchdog.class);
  /** The shortest ping period: a watchdog of a few microseconds must not become a busy loop. */
  private static final Duration MIN_PERIOD = Duration.ofMillis(1);
  /** How long {@link #close} waits for a ping in flight (a send gives up after 1 s, see SdNotify). */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(3);

  private final String socket;
  private final Duration timeout;
  private final Duration period;
  private final BooleanSupplier healthy;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread thread;

  private SystemdWatchdog(String socket, Duration timeout, BooleanSupplier healthy) {
    this.socket = socket;
    this.timeout = timeout;
    Duration half = timeout.dividedBy(2);
    this.period = half.compareTo(MIN_PERIOD) < 0 ? MIN_PERIOD : half;
    this.healthy = healthy;
    this.thread = new Thread(this::run, "overlaynet-watchdog");
    thread.setDaemon(true);
  }

  /**
   * Starts pinging if systemd asked for it: {@code $NOTIFY_SOCKET} is set and
   * {@link SdNotify#watchdogInterval()} gives a timeout. Otherwise returns an instance that does
   * nothing.
   */
  static SystemdWatchdog fromEnvironment(BooleanSupplier healthy) {
    Objects.requireNonNull(healthy, "healthy");
    String socket = System.getenv("NOTIFY_SOCKET");
    Optional<Duration> timeout = SdNotify.watchdogInterval();
    if (socket == null || socket.isEmpty() || timeout.isEmpty()) {
      return new SystemdWatchdog(null, Duration.ZERO, healthy);
    }
    return start(socket, timeout.get(), healthy);
  }

  /**
   * Starts pinging the notification socket {@code socket} ({@code @name} for an abstract one)
   * every {@code timeout / 2} while {@code healthy} returns true; the first ping goes at once.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  static SystemdWatchdog start(String socket, Duration timeout, BooleanSupplier healthy) {
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(healthy, "healthy");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("watchdog timeout must be positive: " + timeout);
    }
    SystemdWatchdog w = new SystemdWatchdog(socket, timeout, healthy);
    log.info("Pinging the systemd watchdog every {} ms (WatchdogSec={} ms)", w.period.toMillis(), timeout.toMillis());
    w.thread.start();
    return w;
  }

  /** Returns how often it pings, or empty if systemd asked for no watchdog. */
  Optional<Duration> period() {
    return socket == null ? Optional.empty() : Optional.of(period);
  }

  private void run() {
    boolean wasHealthy = true;
    boolean sendFailing = false;
    do {
      boolean ok = check();
      if (ok && closed.getCount() > 0) {
        try {
          SdNotify.notify(socket, SdNotify.WATCHDOG);
          if (sendFailing) {
            log.info("The systemd watchdog gets pings again ({})", socket);
          }
          sendFailing = false;
        } catch (NetlinkException | RuntimeException e) {
          // Logged once per streak: systemd will act on the missing pings, the log says why.
          if (!sendFailing) {
            log.warn("Failed to ping the systemd watchdog ({}): {}", socket, e.getMessage());
          }
          sendFailing = true;
        }
      }
      if (ok && !wasHealthy) {
        log.info("Health check holds again: pinging the systemd watchdog");
      } else if (!ok && wasHealthy) {
        log.warn("Health check failed: not pinging the systemd watchdog; systemd stops the agent {} ms after the"
            + " last ping unless the check holds again", timeout.toMillis());
      }
      wasHealthy = ok;
    } while (!awaitClose());
  }

  private boolean check() {
    try {
      return healthy.getAsBoolean();
    } catch (RuntimeException e) {
      log.warn("Health check threw {}: counted as failed", e.toString());
      return false;
    }
  }

  /** Waits one period; returns whether {@link #close} was called meanwhile. */
  private boolean awaitClose() {
    try {
      return closed.await(period.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /**
   * Stops pinging: returns once the thread has ended (a ping in flight finishes first, at most a
   * second or so), so no ping is sent after this returns. Idempotent.
   */
  @Override
  public void close() {
    closed.countDown();
    if (thread.isAlive() && Thread.currentThread() != thread) {
      try {
        thread.join(CLOSE_WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return socket == null ? "SystemdWatchdog(off)" : "SystemdWatchdog(" + socket + " every " + period + ")";
  }
}
