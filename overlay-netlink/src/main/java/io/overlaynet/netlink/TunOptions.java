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

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return DEFAULT.toBuilder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public String toString() {
    return "TunOptions{multiQueue=" + multiQueue + ", vnetHeader=" + vnetHeader + "}";
  }

  /** Builds {@link TunOptions}; every setter has the name of the copy method of the options. */
  public static final class Builder {
    private boolean multiQueue;
    private boolean vnetHeader;

    private Builder(TunOptions o) {
      this.multiQueue = o.multiQueue;
      this.vnetHeader = o.vnetHeader;
    }

    /** See {@link TunOptions#withMultiQueue}. */
    public Builder withMultiQueue(boolean on) {
      this.multiQueue = on;
      return this;
    }

    /** See {@link TunOptions#withVnetHeader}. */
    public Builder withVnetHeader(boolean on) {
      this.vnetHeader = on;
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException if a value is out of range (the message names it)
     */
    public TunOptions build() {
      return new TunOptions(multiQueue, vnetHeader);
    }
  }
}
