package io.overlaynet;

import java.util.List;
import java.util.function.Consumer;

/**
 * Receives the leases of the whole network from {@link SubnetManager#watchLeases}: first a
 * snapshot of every lease, then every change, each batch in store order. Calls come from one
 * thread at a time and should not block for long.
 *
 * <pre>{@code
 * manager.watchLeases(LeaseListener.of(
 *     snapshot -> network.applySnapshot(snapshot),
 *     events -> network.apply(events)));
 * }</pre>
 */
public interface LeaseListener {

  /** Called once with every valid lease in the store when the watch starts. */
  void onSnapshot(List<Lease> leases);

  /**
   * Called with the changes of one store batch: every event of a store revision is in the same
   * call. After a store compaction the differences found by re-listing arrive here too.
   */
  void onEvents(List<LeaseEvent> events);

  /** Called when the watch ended for good (the store was closed or refused the watch). */
  default void onError(Throwable error) {}

  /** Returns a listener from two lambdas. */
  static LeaseListener of(Consumer<List<Lease>> onSnapshot, Consumer<List<LeaseEvent>> onEvents) {
    return new LeaseListener() {
      @Override
      public void onSnapshot(List<Lease> leases) {
        onSnapshot.accept(leases);
      }

      @Override
      public void onEvents(List<LeaseEvent> events) {
        onEvents.accept(events);
      }
    };
  }
}
