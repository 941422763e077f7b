package io.overlaynet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * One rule for tests that need root, a kernel feature or an external program: a missing
 * prerequisite fails the test, with a message that says what to install. A run of
 * {@code scripts/test.sh} (which CI runs) is therefore never green by skipping, whether or not
 * {@code CI} is set.
 *
 * <p>A developer who knows a prerequisite is missing and wants the rest to run opts in to
 * skipping explicitly with the environment variable {@value #ALLOW_SKIP}{@code =true} (for
 * example {@code OVERLAYNET_ALLOW_SKIP=true mvn -B verify} as a non-root user): the test is then
 * aborted (reported as skipped) with the same message instead.
 *
 * <pre>{@code
 * Prerequisites.require(isRoot(), "root privileges", "run the tests as root (sudo)");
 * }</pre>
 */
public final class Prerequisites {

  /** The environment variable that, set to {@code true}, turns a missing prerequisite into a skip. */
  public static final String ALLOW_SKIP = "OVERLAYNET_ALLOW_SKIP";

  private Prerequisites() {}

  /** Returns whether the developer opted in to skipping ({@value #ALLOW_SKIP}{@code =true}). */
  public static boolean skipAllowed() {
    return skipAllowed(System.getenv());
  }

  static boolean skipAllowed(Map<String, String> env) {
    return "true".equalsIgnoreCase(env.get(ALLOW_SKIP));
  }

  /**
   * Fails the current test unless {@code present}; skips it instead if {@link #skipAllowed()}.
   *
   * @param what what is missing, e.g. "the etcd binary /usr/bin/etcd"
   * @param remedy how to get it, e.g. "apt-get install etcd-server"
   */
  public static void require(boolean present, String what, String remedy) {
    require(present, what, remedy, System.getenv());
  }

  /** As {@link #require(boolean, String, String)}, with the environment {@code env} (for its test). */
  static void require(boolean present, String what, String remedy, Map<String, String> env) {
    if (present) {
      return;
    }
    String message = "missing prerequisite: " + what + " — " + remedy;
    if (skipAllowed(env)) {
      Assumptions.abort(message + " (skipped: " + ALLOW_SKIP + "=true)");
    }
    fail(message + " (to skip such tests instead, set " + ALLOW_SKIP + "=true)");
  }

  /** Requires that the JVM runs as root (uid 0). */
  public static void requireRoot() {
    require(isRoot(), "root privileges (uid 0)", "run the tests as root, e.g. sudo bash .ci/run");
  }

  /** Returns whether the JVM runs as uid 0, read from {@code /proc/self/status}. */
  public static boolean isRoot() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1].equals("0");
        }
      }
    } catch (java.io.IOException e) {
      return false;
    }
    return false;
  }
}
