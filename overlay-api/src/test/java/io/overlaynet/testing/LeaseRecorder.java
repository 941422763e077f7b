package io.overlaynet.testing;

import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.LeaseListener;
import io.overlaynet.ip.Ip4Net;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A {@link LeaseListener} that records every snapshot and event, and the view of the network they
 * add up to (a snapshot replaces it, events change it), for assertions.
 */
public final class LeaseRecorder implements LeaseListener {

  /** The leases of the latest snapshot. */
  public final List<Lease> snapshot = new CopyOnWriteArrayList<>();
  /** Every snapshot, in delivery order. */
  public final List<List<Lease>> snapshots = new CopyOnWriteArrayList<>();
  /** Every event, in delivery order. */
  public final List<LeaseEvent> events = new CopyOnWriteArrayList<>();
  /** Every error reported (the watch ended for good). */
  public final List<Throwable> errors = new CopyOnWriteArrayList<>();
  private final Map<Ip4Net, Lease> view = new LinkedHashMap<>();

  @Override
  public synchronized void onSnapshot(List<Lease> leases) {
    snapshot.clear();
    snapshot.addAll(leases);
    snapshots.add(List.copyOf(leases));
    view.clear();
    leases.forEach(l -> view.put(l.subnet(), l));
  }

  @Override
  public synchronized void onEvents(List<LeaseEvent> batch) {
    events.addAll(batch);
    for (LeaseEvent e : batch) {
      if (e.type() == LeaseEvent.Type.ADDED) {
        view.put(e.lease().subnet(), e.lease());
      } else {
        view.remove(e.lease().subnet());
      }
    }
  }

  @Override
  public void onError(Throwable error) {
    errors.add(error);
  }

  /** Returns the network as snapshots and events have described it so far, by subnet. */
  public synchronized Map<Ip4Net, Lease> view() {
    return Map.copyOf(view);
  }

  /** Returns the subnets ({@code a.b.c.d/n}) of {@link #view()}. */
  public Set<String> viewSubnets() {
    return view().keySet().stream().map(Object::toString).collect(Collectors.toSet());
  }

  /** Waits up to 15 s for at least {@code n} events. */
  public void await(int n) throws InterruptedException {
    awaitCondition(() -> events.size() >= n, () -> "expected " + n + " lease events, got " + events);
  }

  /** Waits up to 15 s for at least {@code n} snapshots (the first one and re-lists). */
  public void awaitSnapshots(int n) throws InterruptedException {
    awaitCondition(() -> snapshots.size() >= n, () -> "expected " + n + " snapshots, got " + snapshots);
  }

  /** Waits up to 15 s for {@code condition}. */
  public void awaitCondition(BooleanSupplier condition, java.util.function.Supplier<String> failure)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure.get());
      }
      Thread.sleep(10);
    }
  }

  /** Returns the subnets ({@code a.b.c.d/n}) of the events of {@code type}. */
  public Set<String> subnets(LeaseEvent.Type type) {
    return events.stream().filter(e -> e.type() == type).map(e -> e.lease().subnet().toString())
        .collect(Collectors.toSet());
  }
}
