package io.overlaynet.netlink;

/**
 * Options of a TUN device: {@code IFF_TUN|IFF_NO_PI} always; multi-queue and the vnet header
 * (TSO/checksum offload) optional.
 *
 * <pre>{@code
 * TunDevice tun = TunDevice.create("flannel%d", TunOptions.DEFAULT.withMultiQueue(true));
 * TunDevice offloaded = TunDevice.create("flannel%d", TunOptions.DEFAULT.withVnetHeader(true));
 * }</pre>
 */
public final class TunOptions {

  /** Single queue, no vnet header. */
  public static final TunOptions DEFAULT = new TunOptions(false, false);

  private final boolean multiQueue;
  private final boolean vnetHeader;

  private TunOptions(boolean multiQueue, boolean vnetHeader) {
    this.multiQueue = multiQueue;
    this.vnetHeader = vnetHeader;
  }

  /** Returns options with {@code IFF_MULTI_QUEUE} on or off; more queues come from {@link TunDevice#openQueue()}. */
  public TunOptions withMultiQueue(boolean on) {
    return new TunOptions(on, vnetHeader);
  }

  /**
   * Returns options with {@code IFF_VNET_HDR} and offload ({@code TUNSETOFFLOAD
   * TUN_F_CSUM|TUN_F_TSO4}) on or off. On, every packet read or written is preceded by a
   * {@value TunDevice#VNET_HDR_SIZE}-byte {@code struct virtio_net_hdr}, and reads may return TCP
   * super-packets of up to 64 KiB that the reader segments.
   */
  public TunOptions withVnetHeader(boolean on) {
    return new TunOptions(multiQueue, on);
  }

  /** Returns whether {@code IFF_MULTI_QUEUE} is set. */
  public boolean multiQueue() {
    return multiQueue;
  }

  /** Returns whether {@code IFF_VNET_HDR} with TSO/checksum offload is set. */
  public boolean vnetHeader() {
    return vnetHeader;
  }

  @Override
  public String toString() {
    return "TunOptions{multiQueue=" + multiQueue + ", vnetHeader=" + vnetHeader + "}";
  }
}
