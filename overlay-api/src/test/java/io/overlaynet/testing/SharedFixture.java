package io.overlaynet.testing;

import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A fixture that the ordered steps of one test class share because it takes seconds to build (a
 * cluster of namespaces and agents), and that is built again before the next step whenever a
 * step failed. A failed step may leave the fixture in any state — an agent stopped, a lease
 * deleted, a foreign lease not cleaned up — and the steps after it must fail only for reasons of
 * their own, not because of what the failed one left behind. When every step passes, the fixture
 * is built once.
 *
 * <pre>{@code
 * @TestInstance(TestInstance.Lifecycle.PER_CLASS)
 * @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
 * class VxlanClusterIT {
 *   @RegisterExtension
 *   final SharedFixture<ClusterFixture> cluster = new SharedFixture<>(() -> ClusterFixture.startInMemory(...));
 *
 *   @Test @Order(1) void everyContainerReachesEveryOther() throws Exception {
 *     cluster.get().assertAllReach();
 *   }
 * }
 * }</pre>
 *
 * <p>Register it on an instance field of a {@code PER_CLASS} test class (or a static field): it
 * builds before a test if there is no fixture or the previous test failed or aborted, and closes
 * the fixture after the last test.
 *
 * @param <T> the fixture
 */
public final class SharedFixture<T extends AutoCloseable> implements BeforeEachCallback, TestWatcher,
    AfterAllCallback {

  /** Builds the fixture. */
  @FunctionalInterface
  public interface Factory<T> {
    /** Returns a new fixture, or throws (having released whatever it had made). */
    T create() throws Exception;
  }

  private final Factory<T> factory;
  private T fixture;
  private boolean dirty;
  private int builds;

  /** A shared fixture made by {@code factory}. */
  public SharedFixture(Factory<T> factory) {
    this.factory = factory;
  }

  /**
   * Returns the fixture of the current test.
   *
   * @throws IllegalStateException outside a test (before the first build)
   */
  public T get() {
    if (fixture == null) {
      throw new IllegalStateException("no fixture: get() is for test methods and @BeforeEach");
    }
    return fixture;
  }

  /** Returns how many times the fixture was built: 1 if no step failed. */
  public int builds() {
    return builds;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (fixture != null && !dirty) {
      return;
    }
    closeFixture();
    // Dirty until the build succeeds: a factory that throws fails this test, and the next tries again.
    dirty = true;
    fixture = factory.create();
    builds++;
    dirty = false;
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    dirty = true;
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    // An abort can come from the middle of a step (a prerequisite of that step only).
    dirty = true;
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {
    // Nothing ran: the fixture is as the previous step left it.
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    closeFixture();
  }

  private void closeFixture() throws Exception {
    T f = fixture;
    fixture = null;
    if (f != null) {
      f.close();
    }
  }
}
