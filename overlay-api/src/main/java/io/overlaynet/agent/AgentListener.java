package io.overlaynet.agent;

import io.overlaynet.Lease;

/**
 * Hears what the {@link Agent} does, for embedders (metrics, readiness, node status). Every
 * method has an empty default. Calls come one at a time, in order, from a thread of their own, so
 * a slow listener delays neither the data plane nor the lease renewal (later calls wait for it);
 * what a method throws is logged and ignored, so it cannot break the agent.
 *
 * <pre>{@code
 * Agent agent = Agent.builder()...listener(new AgentListener() {
 *   public void onReady(Lease lease) { markNodeReady(lease.subnet()); }
 * }).build();
 * }</pre>
 */
public interface AgentListener {

  /** This node's lease was acquired (or re-found). */
  default void onLeaseAcquired(Lease lease) {}

  /** This node's lease was renewed. */
  default void onLeaseRenewed(Lease lease) {}

  /**
   * This node's subnet is lost: its lease was deleted or expired and another node holds the subnet
   * now; the agent is stopping. (A lease that was merely deleted or expired is taken back and
   * reported through {@link #onLeaseRenewed}.)
   */
  default void onLeaseLost(Lease lease) {}

  /** A remote node's lease was programmed (also for a changed lease). */
  default void onPeerAdded(Lease lease) {}

  /** A remote node's lease was removed from the data plane. */
  default void onPeerRemoved(Lease lease) {}

  /** The data plane is up and {@code subnet.env} is written. */
  default void onReady(Lease lease) {}

  /** Something failed that the agent retries or survives (store unreachable, bad config...). */
  default void onError(Throwable error) {}

  /**
   * The agent's state changed ({@link Agent#state()}): it waits for its config, is ready, degraded
   * (with the reason) or ready again, or stopped.
   */
  default void onStateChanged(AgentState state) {}

  /** The agent stopped; {@code cause} is null after a requested stop. */
  default void onStopped(Throwable cause) {}
}
