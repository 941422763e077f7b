package io.overlaynet.netlink;

/**
 * Options of a subscription: whether to deliver the existing objects first.
 *
 * <pre>{@code
 * handle.subscribeNeighbors(SubscribeOptions.DEFAULT.withListExisting(true), listener);
 * }</pre>
 */
public final class SubscribeOptions {

  /** No initial listing. */
  public static final SubscribeOptions DEFAULT = new SubscribeOptions(false);

  private final boolean listExisting;

  private SubscribeOptions(boolean listExisting) {
    this.listExisting = listExisting;
  }

  /** Returns a builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder().withListExisting(listExisting);
  }

  /**
   * Returns options that first deliver every existing object as a {@link NetlinkEvent.Type#NEW}
   * event (the subscription is bound before the listing, so nothing is missed in between;
   * an object may be reported twice).
   */
  public SubscribeOptions withListExisting(boolean list) {
    return toBuilder().withListExisting(list).build();
  }

  /** Returns whether existing objects are delivered first. */
  public boolean listExisting() {
    return listExisting;
  }

  @Override
  public String toString() {
    return "SubscribeOptions{listExisting=" + listExisting + "}";
  }

  /** Builds {@link SubscribeOptions}. */
  public static final class Builder {
    private boolean listExisting;

    private Builder() {}

    /** See {@link SubscribeOptions#withListExisting(boolean)}. */
    public Builder withListExisting(boolean list) {
      this.listExisting = list;
      return this;
    }

    /** Builds the options. */
    public SubscribeOptions build() {
      return new SubscribeOptions(listExisting);
    }
  }
}
