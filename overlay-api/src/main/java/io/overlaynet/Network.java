package io.overlaynet;

import java.util.Optional;

/**
 * A registered backend on this node (flannel's {@code backend.Network}): it knows the node's lease
 * and MTU and applies the other nodes' leases to the data plane.
 *
 * <p>It receives lease changes as a {@link LeaseListener}: a snapshot, then batches of events.
 * Only remote leases are passed in (the runtime filters out the node's own). Applying is
 * idempotent (replace semantics), so a replayed event or a restart is harmless.
 *
 * <p>{@link #close()} stops the backend's threads. Like flanneld it leaves routes, neighbour
 * entries and kernel devices in place so traffic keeps flowing while the agent restarts; a
 * backend whose device cannot outlive the process (the udp TUN device) removes it.
 */
public interface Network extends LeaseListener, AutoCloseable {

  /** Returns this node's lease. */
  Lease lease();

  /** Returns the MTU containers should use ({@code FLANNEL_MTU}). */
  int mtu();

  /**
   * Returns what this network programmed for each remote lease it was given, compared with what
   * the kernel holds now (one dump per kind of object, so it is meant for a status query, not for
   * every packet), and what it owns that no lease backs. Safe to call from any thread while the
   * network runs.
   *
   * <p>The default, for a backend that cannot describe its data plane, is
   * {@link DataPlaneView#UNKNOWN}.
   *
   * @throws BackendException if the kernel cannot be read
   */
  default DataPlaneView dataPlane() {
    return DataPlaneView.UNKNOWN;
  }

  /**
   * Returns the packet counters of a data path that runs in this process (the udp backend);
   * empty for a kernel data path.
   */
  default Optional<TrafficStats> traffic() {
    return Optional.empty();
  }

  /** Stops the backend promptly; idempotent. */
  @Override
  void close();
}
