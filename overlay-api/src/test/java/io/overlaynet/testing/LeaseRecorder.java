package io.overlaynet.testing;

import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.LeaseListener;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** A {@link LeaseListener} that records the snapshot and every event, for assertions. */
public final class LeaseRecorder implements LeaseListener {

  /** The snapshot leases, as delivered. */
  public final List<Lease> snapshot = new CopyOnWriteArrayList<>();
  /** Every event, in delivery order. */
  public final List<LeaseEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onSnapshot(List<Lease> leases) {
    snapshot.addAll(leases);
  }

  @Override
  public void onEvents(List<LeaseEvent> batch) {
    events.addAll(batch);
  }

  /** Waits up to 15 s for at least {@code n} events. */
  public void await(int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (events.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + n + " lease events, got " + events);
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
