package io.overlaynet.agent;

import io.overlaynet.RepairKind;
import io.overlaynet.TrafficStats;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of an agent's counters ({@link Agent#metrics()}): cheap to take (no kernel or store
 * call), so it can be scraped as often as wanted. Counters count from the agent's start and only
 * grow. Immutable.
 *
 * @param leaseExpiry when this node's lease expires unless renewed; empty before the lease is held
 * @param renewals successful renewals of this node's lease (a lease taken back counts too)
 * @param renewalFailures failed renewal attempts (each is retried)
 * @param watchReconnects times the lease watch broke and was set up again
 * @param relists snapshots of every lease after the first: re-lists after a broken watch or a
 *     store compaction
 * @param leaseEventsApplied remote lease events (added or removed) handed to the backend
 * @param eventToKernel per batch of lease events, the time from the store's delivery to the
 *     backend's return (the kernel is programmed by then)
 * @param repairs what the backend's reconciliation put right, by kind (every kind present)
 * @param repairFailures reconciliations that failed (each is retried)
 * @param peers remote leases handed to the backend now
 * @param traffic the packet counters of an in-process data path (udp); empty for a kernel one
 * @param iptablesRestores rule sets the iptables resync found incomplete and installed again
 * @param iptablesFailures iptables resyncs that failed
 */
public record AgentMetrics(
    Optional<Instant> leaseExpiry,
    long renewals,
    long renewalFailures,
    long watchReconnects,
    long relists,
    long leaseEventsApplied,
    LatencyHistogram eventToKernel,
    Map<RepairKind, Long> repairs,
    long repairFailures,
    int peers,
    Optional<TrafficStats> traffic,
    long iptablesRestores,
    long iptablesFailures) {

  /** Checks and copies the components. */
  public AgentMetrics {
    Objects.requireNonNull(leaseExpiry, "leaseExpiry");
    Objects.requireNonNull(eventToKernel, "eventToKernel");
    repairs = Map.copyOf(repairs);
    Objects.requireNonNull(traffic, "traffic");
  }
}
