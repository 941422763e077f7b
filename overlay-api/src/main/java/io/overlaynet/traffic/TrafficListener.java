package io.overlaynet.traffic;

/**
 * Hears a {@link TrafficManager}'s periodic resync: a rule set found incomplete and installed
 * again, or a resync that failed. The agent counts both in its metrics. Calls come from the
 * resync thread and must be cheap; what a method throws is ignored.
 */
public interface TrafficListener {

  /** Ignores everything. */
  TrafficListener NONE = new TrafficListener() {};

  /** The rule set {@code name} (e.g. {@code IPv4 masquerade}) missed {@code missing} rules and was installed again. */
  default void onRestored(String name, int missing) {}

  /** Checking or restoring the rule set {@code name} failed; it is retried at the next period. */
  default void onResyncFailed(String name, Throwable error) {}
}
