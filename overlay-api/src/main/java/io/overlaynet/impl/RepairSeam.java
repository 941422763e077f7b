package io.overlaynet.impl;

/**
 * A test seam, not API ({@code io.overlaynet.impl} is exported to overlaynet's own modules only):
 * while paused, the backends' periodic and event-driven reconciliations do not run, so a test can
 * see drift (a route deleted by hand) before it is repaired. In a child process the system
 * property {@code overlaynet.internal.pauseRepair=true} pauses from the start.
 */
public final class RepairSeam {

  private static volatile boolean paused = Boolean.getBoolean("overlaynet.internal.pauseRepair");

  private RepairSeam() {}

  /** Returns whether reconciliations are paused. */
  public static boolean paused() {
    return paused;
  }

  /** Pauses reconciliations (tests only). */
  public static void pause() {
    paused = true;
  }

  /** Lets reconciliations run again. */
  public static void resume() {
    paused = false;
  }
}
