package io.overlaynet.hostgw;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of the host-gw backend that are not part of flannel's network config: how often the
 * routes of known leases are checked and restored.
 *
 * <pre>{@code
 * Backend hostGw = HostGwBackend.create(HostGwOptions.DEFAULT.withRouteCheckInterval(Duration.ofSeconds(1)));
 * }</pre>
 */
public final class HostGwOptions {

  /** A route check every 10 s, as flannel's {@code route_network.go}. */
  public static final HostGwOptions DEFAULT = new HostGwOptions(Duration.ofSeconds(10));

  private final Duration routeCheckInterval;

  private HostGwOptions(Duration routeCheckInterval) {
    this.routeCheckInterval = routeCheckInterval;
  }

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder().withRouteCheckInterval(routeCheckInterval);
  }

  /** Returns how often routes of known leases are checked and re-added when missing. */
  public Duration routeCheckInterval() {
    return routeCheckInterval;
  }

  /**
   * Returns a copy with another route check interval.
   *
   * @throws IllegalArgumentException if {@code interval} is shorter than 10 ms
   */
  public HostGwOptions withRouteCheckInterval(Duration interval) {
    return toBuilder().withRouteCheckInterval(interval).build();
  }

  @Override
  public String toString() {
    return "HostGwOptions{routeCheckInterval=" + routeCheckInterval + "}";
  }

  /** Builds {@link HostGwOptions}. */
  public static final class Builder {
    private Duration routeCheckInterval = Duration.ofSeconds(10);

    private Builder() {}

    /**
     * Sets the route check interval.
     *
     * @throws IllegalArgumentException if {@code interval} is shorter than 10 ms
     */
    public Builder withRouteCheckInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      checkArgument(interval.toMillis() >= 10, "route check interval too short: %s", interval);
      this.routeCheckInterval = interval;
      return this;
    }

    /** Builds the options. */
    public HostGwOptions build() {
      return new HostGwOptions(routeCheckInterval);
    }
  }
}
