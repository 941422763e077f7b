package io.overlaynet;

/**
 * What a backend's reconciliation put right in the data plane, counted in the agent's metrics
 * ({@code overlaynet_repairs_total{kind="..."}}).
 */
public enum RepairKind {
  /** The overlay device was gone (or replaced) and was created again. */
  DEVICE_RECREATED,
  /** The overlay device had lost its address, MTU or up state and was set again. */
  DEVICE_RESTORED,
  /** A peer's route was missing or wrong and was written again. */
  ROUTE_RESTORED,
  /** A peer's ARP/NDP entry was missing or wrong and was written again. */
  NEIGHBOR_RESTORED,
  /** A peer's FDB entry was missing and was written again. */
  FDB_RESTORED,
  /** An entry the backend owns that no lease backs any more was removed. */
  STALE_REMOVED
}
