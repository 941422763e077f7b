package io.overlaynet;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Options of the default {@link SubnetManager}; immutable, with flannel's defaults in
 * {@link #DEFAULT}. Each {@code withX} returns a copy; {@link #builder()} / {@link #toBuilder()}
 * give a builder with the same setters.
 *
 * <pre>{@code
 * SubnetManagerOptions opts = SubnetManagerOptions.DEFAULT
 *     .withPrefix("/coreos.com/network")
 *     .withPreviousSubnet(Ip4Net.parse("10.5.60.0/24"));     // from subnet.env
 * }</pre>
 */
public final class SubnetManagerOptions {

  /** flannel's defaults: prefix {@code /coreos.com/network}, 24 h TTL, renew 60 min before expiry. */
  public static final SubnetManagerOptions DEFAULT = new SubnetManagerOptions(
      "/coreos.com/network", Duration.ofHours(24), Duration.ofMinutes(60), Duration.ofMinutes(1),
      Optional.empty(), Optional.empty());

  private final String prefix;
  private final Duration leaseTtl;
  private final Duration renewMargin;
  private final Duration renewRetryDelay;
  private final Optional<Ip4Net> previousSubnet;
  private final Optional<Ip6Net> previousIpv6Subnet;

  private SubnetManagerOptions(String prefix, Duration leaseTtl, Duration renewMargin, Duration renewRetryDelay,
      Optional<Ip4Net> previousSubnet, Optional<Ip6Net> previousIpv6Subnet) {
    checkArgument(prefix.startsWith("/") && !prefix.endsWith("/"),
        "the key prefix must start with / and not end with one: %s", prefix);
    checkArgument(leaseTtl.getSeconds() >= 1, "the lease TTL must be at least 1 s: %s", leaseTtl);
    checkArgument(!renewMargin.isNegative(), "the renew margin must not be negative: %s", renewMargin);
    checkArgument(!renewRetryDelay.isNegative() && !renewRetryDelay.isZero(),
        "the renew retry delay must be positive: %s", renewRetryDelay);
    this.prefix = prefix;
    this.leaseTtl = leaseTtl;
    this.renewMargin = renewMargin;
    this.renewRetryDelay = renewRetryDelay;
    this.previousSubnet = Objects.requireNonNull(previousSubnet);
    this.previousIpv6Subnet = Objects.requireNonNull(previousIpv6Subnet);
  }

  /** Returns the key prefix, default {@code /coreos.com/network} ({@code --etcd-prefix}). */
  public String prefix() {
    return prefix;
  }

  /** Returns the TTL of a lease, default 24 h. */
  public Duration leaseTtl() {
    return leaseTtl;
  }

  /** Returns how long before expiry a lease is renewed, default 60 min. */
  public Duration renewMargin() {
    return renewMargin;
  }

  /** Returns the wait after a failed renewal, default 1 min. */
  public Duration renewRetryDelay() {
    return renewRetryDelay;
  }

  /** Returns the subnet this node had before (from {@code subnet.env}), if any. */
  public Optional<Ip4Net> previousSubnet() {
    return previousSubnet;
  }

  /** Returns the IPv6 subnet this node had before, if any. */
  public Optional<Ip6Net> previousIpv6Subnet() {
    return previousIpv6Subnet;
  }

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return DEFAULT.toBuilder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Returns a copy with this key prefix ({@code --etcd-prefix}).
   *
   * @throws IllegalArgumentException if it does not start with {@code /} or ends with one
   */
  public SubnetManagerOptions withPrefix(String prefix) {
    return toBuilder().withPrefix(prefix).build();
  }

  /**
   * Returns a copy with this lease TTL.
   *
   * @throws IllegalArgumentException if shorter than 1 s
   */
  public SubnetManagerOptions withLeaseTtl(Duration ttl) {
    return toBuilder().withLeaseTtl(ttl).build();
  }

  /**
   * Returns a copy with this renew margin ({@code --subnet-lease-renew-margin}). A margin as long
   * as the TTL or longer still leaves a tenth of the TTL between renewals.
   *
   * @throws IllegalArgumentException if negative
   */
  public SubnetManagerOptions withRenewMargin(Duration margin) {
    return toBuilder().withRenewMargin(margin).build();
  }

  /**
   * Returns a copy with this longest wait between failed renewals (they back off from 1 s).
   *
   * @throws IllegalArgumentException if not positive
   */
  public SubnetManagerOptions withRenewRetryDelay(Duration delay) {
    return toBuilder().withRenewRetryDelay(delay).build();
  }

  /** Returns a copy with the subnet this node had before (from {@code subnet.env}). */
  public SubnetManagerOptions withPreviousSubnet(Ip4Net subnet) {
    return toBuilder().withPreviousSubnet(subnet).build();
  }

  /** Returns a copy without a previous subnet (the default). */
  public SubnetManagerOptions withoutPreviousSubnet() {
    return toBuilder().withoutPreviousSubnet().build();
  }

  /** Returns a copy with the IPv6 subnet this node had before. */
  public SubnetManagerOptions withPreviousIpv6Subnet(Ip6Net subnet) {
    return toBuilder().withPreviousIpv6Subnet(subnet).build();
  }

  /** Returns a copy without a previous IPv6 subnet (the default). */
  public SubnetManagerOptions withoutPreviousIpv6Subnet() {
    return toBuilder().withoutPreviousIpv6Subnet().build();
  }

  @Override
  public String toString() {
    return "SubnetManagerOptions{prefix=" + prefix + ", leaseTtl=" + leaseTtl + ", renewMargin=" + renewMargin
        + ", previousSubnet=" + previousSubnet.map(Object::toString).orElse("none") + "}";
  }

  /** Builds {@link SubnetManagerOptions}; its setters have the names of the options' copy methods. */
  public static final class Builder {
    private String prefix;
    private Duration leaseTtl;
    private Duration renewMargin;
    private Duration renewRetryDelay;
    private Optional<Ip4Net> previousSubnet;
    private Optional<Ip6Net> previousIpv6Subnet;

    private Builder(SubnetManagerOptions o) {
      this.prefix = o.prefix;
      this.leaseTtl = o.leaseTtl;
      this.renewMargin = o.renewMargin;
      this.renewRetryDelay = o.renewRetryDelay;
      this.previousSubnet = o.previousSubnet;
      this.previousIpv6Subnet = o.previousIpv6Subnet;
    }

    /** Sets the key prefix. */
    public Builder withPrefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** Sets the lease TTL. */
    public Builder withLeaseTtl(Duration ttl) {
      this.leaseTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** Sets the renew margin. */
    public Builder withRenewMargin(Duration margin) {
      this.renewMargin = Objects.requireNonNull(margin, "margin");
      return this;
    }

    /** Sets the longest wait between failed renewals. */
    public Builder withRenewRetryDelay(Duration delay) {
      this.renewRetryDelay = Objects.requireNonNull(delay, "delay");
      return this;
    }

    /** Sets the previous subnet. */
    public Builder withPreviousSubnet(Ip4Net subnet) {
      this.previousSubnet = Optional.of(subnet);
      return this;
    }

    /** Clears the previous subnet. */
    public Builder withoutPreviousSubnet() {
      this.previousSubnet = Optional.empty();
      return this;
    }

    /** Sets the previous IPv6 subnet. */
    public Builder withPreviousIpv6Subnet(Ip6Net subnet) {
      this.previousIpv6Subnet = Optional.of(subnet);
      return this;
    }

    /** Clears the previous IPv6 subnet. */
    public Builder withoutPreviousIpv6Subnet() {
      this.previousIpv6Subnet = Optional.empty();
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException if a value is out of range (the message names it)
     */
    public SubnetManagerOptions build() {
      return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, renewRetryDelay, previousSubnet,
          previousIpv6Subnet);
    }
  }
}
