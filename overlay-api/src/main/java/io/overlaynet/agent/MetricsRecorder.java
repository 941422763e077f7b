package io.overlaynet.agent;

import io.overlaynet.RepairKind;
import io.overlaynet.TrafficStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The agent's live counters. Every update is a {@link LongAdder} increment, so recording costs a
 * few nanoseconds on whichever thread does the work and never waits for a reader; a snapshot
 * reads them without a lock (each counter is exact, the set of them is not one atomic instant).
 */
final class MetricsRecorder {

  /** Bucket bounds for the event-to-kernel latency: 100 µs to 10 s, roughly x2.5 apart. */
  static final List<Duration> LATENCY_BOUNDS = List.of(
      Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10));
  private static final long[] BOUNDS_NANOS = LATENCY_BOUNDS.stream().mapToLong(Duration::toNanos).toArray();

  final LongAdder renewals = new LongAdder();
  final LongAdder renewalFailures = new LongAdder();
  final LongAdder watchReconnects = new LongAdder();
  final LongAdder relists = new LongAdder();
  final LongAdder leaseEventsApplied = new LongAdder();
  final LongAdder repairFailures = new LongAdder();
  final LongAdder iptablesRestores = new LongAdder();
  final LongAdder iptablesFailures = new LongAdder();
  private final Map<RepairKind, LongAdder> repairs = new EnumMap<>(RepairKind.class);
  private final LongAdder[] latencyBuckets = new LongAdder[BOUNDS_NANOS.length + 1];
  private final LongAdder latencySumNanos = new LongAdder();

  MetricsRecorder() {
    for (RepairKind k : RepairKind.values()) {
      repairs.put(k, new LongAdder());
    }
    for (int i = 0; i < latencyBuckets.length; i++) {
      latencyBuckets[i] = new LongAdder();
    }
  }

  void repaired(RepairKind kind, int count) {
    if (count > 0) {
      repairs.get(kind).add(count);
    }
  }

  /** Records one event-to-kernel latency. */
  void eventToKernel(long nanos) {
    int i = 0;
    while (i < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[i]) {
      i++;
    }
    latencyBuckets[i].increment();
    latencySumNanos.add(Math.max(0, nanos));
  }

  LatencyHistogram latency() {
    List<Long> counts = new ArrayList<>(latencyBuckets.length);
    long total = 0;
    for (LongAdder b : latencyBuckets) {
      long n = b.sum();
      counts.add(n);
      total += n;
    }
    return new LatencyHistogram(LATENCY_BOUNDS, counts, total, Duration.ofNanos(latencySumNanos.sum()));
  }

  AgentMetrics snapshot(Optional<Instant> leaseExpiry, int peers, Optional<TrafficStats> traffic) {
    Map<RepairKind, Long> r = new EnumMap<>(RepairKind.class);
    repairs.forEach((k, v) -> r.put(k, v.sum()));
    return new AgentMetrics(leaseExpiry, renewals.sum(), renewalFailures.sum(), watchReconnects.sum(), relists.sum(),
        leaseEventsApplied.sum(), latency(), r, repairFailures.sum(), peers, traffic, iptablesRestores.sum(),
        iptablesFailures.sum());
  }
}
