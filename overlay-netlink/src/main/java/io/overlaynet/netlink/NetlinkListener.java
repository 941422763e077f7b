package io.overlaynet.netlink;

/**
 * Receives change notifications of one kind. Called on the subscription's own thread, one event
 * at a time; a slow listener delays later events (and the kernel drops events when its queue
 * overflows, reported through {@link #onError}).
 *
 * <pre>{@code
 * NetlinkListener<Route> l = event -> System.out.println(event);
 * }</pre>
 *
 * @param <T> the value type
 */
@FunctionalInterface
public interface NetlinkListener<T> {

  /** Handles one event. Exceptions thrown here are logged and do not stop the subscription. */
  void onEvent(NetlinkEvent<T> event);

  /**
   * Handles a failure of the subscription. ENOBUFS ({@code errno() == 105}) means the kernel
   * dropped events: relist to resynchronise; the subscription keeps running. Default: ignore.
   */
  default void onError(NetlinkException error) {}
}
