package io.overlaynet;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Options of the default {@link SubnetManager}; immutable, with flannel's defaults in
 * {@link #DEFAULT}.
 *
 * <pre>{@code
 * SubnetManagerOptions opts = SubnetManagerOptions.DEFAULT
 *     .withPrefix("/coreos.com/network")
 *     .withPreviousSubnet(SubnetFile.read(path).flatMap(SubnetEnv::subnet));
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

  /**
   * Returns a copy with this key prefix.
   *
   * @throws IllegalArgumentException if it does not start with {@code /} or ends with one
   */
  public SubnetManagerOptions withPrefix(String prefix) {
    return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, renewRetryDelay, previousSubnet,
        previousIpv6Subnet);
  }

  /**
   * Returns a copy with this lease TTL.
   *
   * @throws IllegalArgumentException if shorter than 1 s
   */
  public SubnetManagerOptions withLeaseTtl(Duration ttl) {
    return new SubnetManagerOptions(prefix, ttl, renewMargin, renewRetryDelay, previousSubnet, previousIpv6Subnet);
  }

  /**
   * Returns a copy with this renew margin ({@code --subnet-lease-renew-margin}). A margin as long
   * as the TTL or longer still leaves a tenth of the TTL between renewals.
   *
   * @throws IllegalArgumentException if negative
   */
  public SubnetManagerOptions withRenewMargin(Duration margin) {
    return new SubnetManagerOptions(prefix, leaseTtl, margin, renewRetryDelay, previousSubnet, previousIpv6Subnet);
  }

  /**
   * Returns a copy with this wait after a failed renewal.
   *
   * @throws IllegalArgumentException if not positive
   */
  public SubnetManagerOptions withRenewRetryDelay(Duration delay) {
    return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, delay, previousSubnet, previousIpv6Subnet);
  }

  /** Returns a copy with this previous subnet (empty for none). */
  public SubnetManagerOptions withPreviousSubnet(Optional<Ip4Net> subnet) {
    return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, renewRetryDelay, subnet, previousIpv6Subnet);
  }

  /** Returns a copy with this previous IPv6 subnet (empty for none). */
  public SubnetManagerOptions withPreviousIpv6Subnet(Optional<Ip6Net> subnet) {
    return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, renewRetryDelay, previousSubnet, subnet);
  }

  @Override
  public String toString() {
    return "SubnetManagerOptions{prefix=" + prefix + ", leaseTtl=" + leaseTtl + ", renewMargin=" + renewMargin
        + ", previousSubnet=" + previousSubnet.map(Object::toString).orElse("none") + "}";
  }
}
