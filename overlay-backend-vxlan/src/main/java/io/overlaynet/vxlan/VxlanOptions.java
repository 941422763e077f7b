package io.overlaynet.vxlan;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of the vxlan backend that are not part of flannel's network config: how often the
 * kernel state is reconciled and whether a deleted device is noticed at once.
 *
 * <pre>{@code
 * Backend vxlan = VxlanBackend.create(VxlanOptions.DEFAULT.withReconcileInterval(Duration.ofSeconds(2)));
 * }</pre>
 */
public final class VxlanOptions {

  /** Reconciliation every 10 s (flannel's host-gw route check period) and a link watch. */
  public static final VxlanOptions DEFAULT = new VxlanOptions(Duration.ofSeconds(10), true);

  private final Duration reconcileInterval;
  private final boolean watchLink;

  private VxlanOptions(Duration reconcileInterval, boolean watchLink) {
    this.reconcileInterval = reconcileInterval;
    this.watchLink = watchLink;
  }

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder().withReconcileInterval(reconcileInterval).withWatchLink(watchLink);
  }

  /** Returns how often routes, ARP and FDB entries of known leases are checked and restored. */
  public Duration reconcileInterval() {
    return reconcileInterval;
  }

  /**
   * Returns whether netlink subscriptions report the device's deletion, and deleted routes of the
   * Network, at once (otherwise the periodic check finds them).
   */
  public boolean watchLink() {
    return watchLink;
  }

  /**
   * Returns a copy with another reconciliation interval.
   *
   * @throws IllegalArgumentException if {@code interval} is shorter than 10 ms
   */
  public VxlanOptions withReconcileInterval(Duration interval) {
    return toBuilder().withReconcileInterval(interval).build();
  }

  /** Returns a copy with the link and route watches on or off (off: only the periodic check notices deletions). */
  public VxlanOptions withWatchLink(boolean watch) {
    return toBuilder().withWatchLink(watch).build();
  }

  @Override
  public String toString() {
    return "VxlanOptions{reconcileInterval=" + reconcileInterval + ", watchLink=" + watchLink + "}";
  }

  /** Builds {@link VxlanOptions}. */
  public static final class Builder {
    private Duration reconcileInterval = Duration.ofSeconds(10);
    private boolean watchLink = true;

    private Builder() {}

    /**
     * Sets the reconciliation interval.
     *
     * @throws IllegalArgumentException if {@code interval} is shorter than 10 ms
     */
    public Builder withReconcileInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      checkArgument(interval.toMillis() >= 10, "reconcile interval too short: %s", interval);
      this.reconcileInterval = interval;
      return this;
    }

    /** Turns the link watch on or off. */
    public Builder withWatchLink(boolean watch) {
      this.watchLink = watch;
      return this;
    }

    /** Builds the options. */
    public VxlanOptions build() {
      return new VxlanOptions(reconcileInterval, watchLink);
    }
  }
}
