package io.overlaynet.netlink;

import java.util.List;

/**
 * The one-request-per-item form of the {@code ...All} batch methods of {@link NetlinkHandle}, for
 * implementations (fakes) that have no pipelining: every item is attempted and the first failure
 * is thrown afterwards with the next ones suppressed. Internal usage only.
 */
final class BatchFallback {

  /** One request on one item. */
  interface Call<T> {
    void apply(T item) throws NetlinkException;
  }

  private BatchFallback() {}

  static <T> void run(List<T> items, Call<T> call) throws NetlinkException {
    NetlinkException first = null;
    int suppressed = 0;
    for (T item : items) {
      try {
        call.apply(item);
      } catch (NetlinkException e) {
        if (first == null) {
          first = e;
        } else if (suppressed++ < 20) {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
