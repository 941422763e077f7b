package io.overlaynet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * One rule for tests that need root, a kernel feature or an external program: outside CI a
 * missing prerequisite skips the test with the reason; in CI ({@code CI=true}) it fails the test
 * with a message that says what to install, because CI must never skip silently.
 *
 * <pre>{@code
 * Prerequisites.require(isRoot(), "root privileges", "run the tests as root (sudo)");
 * }</pre>
 */
public final class Prerequisites {

  private Prerequisites() {}

  /** Returns whether this run is CI (environment variable {@code CI=true}). */
  public static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /**
   * Skips (outside CI) or fails (in CI) the current test unless {@code present}.
   *
   * @param what what is missing, e.g. "the etcd binary /usr/bin/etcd"
   * @param remedy how to get it, e.g. "apt-get install etcd-server"
   */
  public static void require(boolean present, String what, String remedy) {
    if (present) {
      return;
    }
    String message = "missing prerequisite: " + what + " — " + remedy;
    if (inCi()) {
      fail(message + " (CI=true: prerequisites are never skipped in CI)");
    }
    Assumptions.abort(message);
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
