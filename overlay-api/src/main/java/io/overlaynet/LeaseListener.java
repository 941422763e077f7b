package io.overlaynet;

import java.util.List;
import java.util.function.Consumer;

/**
 * Receives the leases of the whole network from {@link SubnetManager#watchLeases}: first a
 * snapshot of every lease, then every change, each batch in store order. Whenever the watch had
 * to re-list (the store compacted the history it needed, or the watch broke and was set up again)
 * a new complete snapshot arrives, so a listener that programs a data plane reconciles against it.
 * Calls come from one thread at a time and should not block for long.
 *
 * <pre>{@code
 * manager.watchLeases(LeaseListener.of(
 *     snapshot -> network.applySnapshot(snapshot),
 *     events -> network.apply(events)));
 * }</pre>
 */
public interface LeaseListener {

  /**
   * Called with every valid lease in the store: when the watch starts, and again after every
   * re-list. It replaces what the listener knew: a lease it knew that is not in here is gone.
   */
  void onSnapshot(List<Lease> leases);

  /**
   * Called with the changes of one store batch: every event of a store revision is in the same
   * call.
   */
  void onEvents(List<LeaseEvent> events);

  /**
   * Called when the watch broke (the store ended it, or cannot be reached) and the manager is
   * re-listing: until the next {@link #onSnapshot} the listener may miss changes. Once per outage,
   * however many attempts the re-list takes. Nothing needs to be done; it is there so that an
   * agent can say it is degraded meanwhile.
   */
  default void onWatchInterrupted(Throwable error) {}

  /**
   * Called when the watch ended for good and no callback follows: the store was closed, or it
   * refused the watch (e.g. authentication) and re-listing failed too. An unreachable store is
   * retried, not reported here.
   */
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
