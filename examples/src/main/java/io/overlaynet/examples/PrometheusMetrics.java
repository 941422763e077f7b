package io.overlaynet.examples;

import io.overlaynet.RepairKind;
import io.overlaynet.TrafficStats;
import io.overlaynet.agent.AgentMetrics;
import io.overlaynet.agent.AgentState;
import io.overlaynet.agent.LatencyHistogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The agent's {@link AgentMetrics} in the Prometheus text format, for {@code GET /metrics}. The
 * snapshot is turned into the client library's model on each scrape (nothing is registered, no
 * thread runs): a scrape reads the agent's counters and nothing else. Names follow Prometheus'
 * conventions: {@code overlaynet_} prefix, counters end in {@code _total}, durations in
 * {@code _seconds}, times in {@code _timestamp_seconds}.
 */
final class PrometheusMetrics {

  /** The content type of the text format (version 0.0.4). */
  static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
  private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

  private PrometheusMetrics() {}

  /** Writes the metrics of an agent in {@code state}, running {@code backend} ("" before it is known). */
  static void write(OutputStream out, AgentMetrics m, AgentState state, String backend) throws IOException {
    WRITER.write(out, snapshots(m, state, backend));
  }

  static MetricSnapshots snapshots(AgentMetrics m, AgentState state, String backend) {
    List<MetricSnapshot> all = new ArrayList<>();
    GaugeSnapshot.Builder phase = GaugeSnapshot.builder().name("overlaynet_agent_state")
        .help("1 for the agent's current state (starting, waiting_for_config, ready, degraded, stopped), 0 for the others");
    for (AgentState.Phase p : AgentState.Phase.values()) {
      phase.dataPoint(gauge(p == state.phase() ? 1 : 0, "state", lower(p)));
    }
    all.add(phase.build());
    GaugeSnapshot.Builder problems = GaugeSnapshot.builder().name("overlaynet_agent_problem")
        .help("1 while the problem degrades the agent (watch_lost, renewal_failing, repair_failing)");
    for (AgentState.Problem p : AgentState.Problem.values()) {
      problems.dataPoint(gauge(state.problems().contains(p) ? 1 : 0, "problem", lower(p)));
    }
    all.add(problems.build());
    if (!backend.isEmpty()) {
      // Only once the config named the backend: a label that appears later would make another series.
      all.add(GaugeSnapshot.builder().name("overlaynet_peers")
          .help("Remote leases handed to the backend").dataPoint(gauge(m.peers(), "backend", backend)).build());
    }
    m.leaseExpiry().ifPresent(t -> all.add(GaugeSnapshot.builder().name("overlaynet_lease_expiry_timestamp_seconds")
        .help("When this node's lease expires unless renewed (Unix time)").unit(Unit.SECONDS)
        .dataPoint(gauge(t.toEpochMilli() / 1000.0)).build()));
    all.add(CounterSnapshot.builder().name("overlaynet_lease_renewals").help("Renewals of this node's lease, by result")
        .dataPoint(counter(m.renewals(), "result", "ok")).dataPoint(counter(m.renewalFailures(), "result", "failed"))
        .build());
    all.add(counter("overlaynet_lease_watch_reconnects", "Times the lease watch broke and was set up again",
        m.watchReconnects()));
    all.add(counter("overlaynet_lease_relists",
        "Re-lists of every lease after a broken watch or a store compaction", m.relists()));
    all.add(counter("overlaynet_lease_events_applied", "Remote lease events handed to the backend",
        m.leaseEventsApplied()));
    all.add(histogram(m.eventToKernel()));
    CounterSnapshot.Builder repairs = CounterSnapshot.builder().name("overlaynet_repairs")
        .help("What the backend's reconciliation put right in the data plane, by kind");
    for (RepairKind k : RepairKind.values()) {
      repairs.dataPoint(counter(m.repairs().getOrDefault(k, 0L), "kind", lower(k)));
    }
    all.add(repairs.build());
    all.add(counter("overlaynet_repair_failures", "Reconciliations of the data plane that failed", m.repairFailures()));
    // The names stay "iptables" (dashboards use them); nftables mode counts its tables here too.
    all.add(counter("overlaynet_iptables_restores",
        "iptables rule sets or nftables tables the resync found incomplete and installed again", m.iptablesRestores()));
    all.add(counter("overlaynet_iptables_resync_failures", "iptables or nftables resyncs that failed",
        m.iptablesFailures()));
    m.traffic().ifPresent(t -> addTraffic(all, t));
    return new MetricSnapshots(all);
  }

  private static void addTraffic(List<MetricSnapshot> all, TrafficStats t) {
    all.add(CounterSnapshot.builder().name("overlaynet_udp_packets").help("Overlay packets of the udp backend")
        .dataPoint(counter(t.txPackets(), "direction", "tx")).dataPoint(counter(t.rxPackets(), "direction", "rx"))
        .build());
    all.add(CounterSnapshot.builder().name("overlaynet_udp_bytes").help("Bytes of the udp backend's overlay packets")
        .unit(Unit.BYTES)
        .dataPoint(counter(t.txBytes(), "direction", "tx")).dataPoint(counter(t.rxBytes(), "direction", "rx")).build());
    CounterSnapshot.Builder drops = CounterSnapshot.builder().name("overlaynet_udp_drops")
        .help("Packets the udp backend dropped, by reason");
    for (Map.Entry<String, Long> e : new TreeMap<>(t.drops()).entrySet()) {
      drops.dataPoint(counter(e.getValue(), "reason", e.getKey()));
    }
    all.add(drops.build());
  }

  private static MetricSnapshot histogram(LatencyHistogram h) {
    int n = h.upperBounds().size();
    double[] bounds = new double[n + 1];
    long[] counts = new long[n + 1];
    for (int i = 0; i < n; i++) {
      bounds[i] = h.upperBounds().get(i).toNanos() / 1e9;
      counts[i] = h.counts().get(i);
    }
    bounds[n] = Double.POSITIVE_INFINITY;
    counts[n] = h.counts().get(n);
    return HistogramSnapshot.builder().name("overlaynet_event_to_kernel_seconds")
        .help("Per batch of lease events, the time from the store's delivery until the backend has programmed the kernel")
        .unit(Unit.SECONDS)
        .dataPoint(HistogramDataPointSnapshot.builder().classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
            .sum(h.sum().toNanos() / 1e9).build())
        .build();
  }

  private static MetricSnapshot counter(String name, String help, long value) {
    return CounterSnapshot.builder().name(name).help(help).dataPoint(counter(value)).build();
  }

  private static CounterDataPointSnapshot counter(long value, String... labels) {
    return CounterDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
  }

  private static GaugeDataPointSnapshot gauge(double value, String... labels) {
    return GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
