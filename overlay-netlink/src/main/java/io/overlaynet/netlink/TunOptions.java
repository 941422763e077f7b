package io.overlaynet.netlink;

/**
 * Options of a TUN device: {@code IFF_TUN|IFF_NO_PI} always; multi-queue optional.
 *
 * <pre>{@code
 * TunDevice tun = TunDevice.create("flannel%d", TunOptions.DEFAULT.withMultiQueue(true));
 * }</pre>
 */
public final class TunOptions {

  /** Single queue. */
  public static final TunOptions DEFAULT = new TunOptions(false);

  private final boolean multiQueue;

  private TunOptions(boolean multiQueue) {
    this.multiQueue = multiQueue;
  }

  /** Returns options with {@code IFF_MULTI_QUEUE} on or off; more queues come from {@link TunDevice#openQueue()}. */
  public TunOptions withMultiQueue(boolean on) {
    return new TunOptions(on);
  }

  /** Returns whether {@code IFF_MULTI_QUEUE} is set. */
  public boolean multiQueue() {
    return multiQueue;
  }

  @Override
  public String toString() {
    return "TunOptions{multiQueue=" + multiQueue + "}";
  }
}
