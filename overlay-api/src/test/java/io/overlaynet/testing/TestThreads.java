package io.overlaynet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The threads a test started, told apart from those of other tests in the same JVM: surefire and
 * failsafe run every test class of a module in one JVM, one after another, so counting all live
 * threads of a name counts what an earlier test's close() left winding down, too. Take a snapshot
 * before starting the code under test, and ask for the threads started since; to show that they
 * end, join them with a deadline that has margin.
 *
 * <pre>{@code
 * TestThreads before = TestThreads.named("overlaynet-udp-");
 * UdpNetwork net = ...;
 * Set<Thread> started = before.started();
 * net.close();
 * TestThreads.assertEnd(started, Duration.ofSeconds(5));
 * }</pre>
 */
public final class TestThreads {

  private final String prefix;
  private final Set<Thread> before;

  private TestThreads(String prefix, Set<Thread> before) {
    this.prefix = prefix;
    this.before = before;
  }

  /** A snapshot of the live threads whose name starts with {@code prefix}. */
  public static TestThreads named(String prefix) {
    return new TestThreads(prefix, live(prefix));
  }

  /** Returns the live threads whose name starts with {@code prefix}. */
  public static Set<Thread> live(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Returns the threads of this name that are alive now and were not in the snapshot. */
  public Set<Thread> started() {
    return live(prefix).stream().filter(t -> !before.contains(t)).collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Joins {@code threads}, {@code timeout} at most in all, and fails naming those still alive.
   *
   * @throws org.opentest4j.AssertionFailedError if some thread is alive after {@code timeout}
   */
  public static void assertEnd(Collection<Thread> threads, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
    List<String> alive = threads.stream().filter(Thread::isAlive).map(Thread::getName).sorted().toList();
    assertEquals(List.of(), alive, "threads still alive " + timeout + " after they were told to end");
  }
}
