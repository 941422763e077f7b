package io.overlaynet;

/**
 * Hears a backend's reconciliation of its data plane against the kernel: the agent turns it into
 * metrics ({@link RepairKind} counts) and into its state (degraded while repairs keep failing).
 * A backend calls it from its maintenance thread; calls must be cheap and never throw, and the
 * agent's implementation is.
 */
public interface ReconcileListener {

  /** Ignores everything; for a backend used without an agent. */
  ReconcileListener NONE = new ReconcileListener() {};

  /** {@code count} (at least 1) objects of {@code kind} were put right. */
  default void onRepaired(RepairKind kind, int count) {}

  /** A reconciliation ran to its end: the data plane matches the wanted state (or was made to). */
  default void onReconciled() {}

  /** A reconciliation failed (the kernel refused a repair, or could not be read); it is retried. */
  default void onReconcileFailed(Throwable error) {}
}
