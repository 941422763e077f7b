package io.overlaynet;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One node's subnet and attributes (flannel's {@code lease.Lease}).
 *
 * <p>The expiration is known for leases this process acquired or renewed; leases read from other
 * nodes carry none, because the store keeps it in the TTL, not in the value.
 *
 * @param subnet the node's IPv4 subnet, e.g. {@code 10.5.2.0/24} ({@link Ip4Net#EMPTY} if v6-only)
 * @param ipv6Subnet the node's IPv6 subnet, if IPv6 is enabled
 * @param attrs what the node published
 * @param expiration when the lease runs out unless renewed, if known
 */
public record Lease(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, Optional<Instant> expiration) {

  /** Checks the components. */
  public Lease {
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(ipv6Subnet, "ipv6Subnet");
    Objects.requireNonNull(attrs, "attrs");
    Objects.requireNonNull(expiration, "expiration");
  }

  /** Returns an IPv4-only lease without known expiration. */
  public static Lease of(Ip4Net subnet, LeaseAttrs attrs) {
    return new Lease(subnet, Optional.empty(), attrs, Optional.empty());
  }

  /** Returns the store key suffix, e.g. {@code 10.5.2.0-24} or {@code 10.5.2.0-24&fd00::-64}. */
  public String key() {
    return LeaseCodec.subnetKey(subnet, ipv6Subnet);
  }

  /**
   * Returns the subnets for people to read: {@code 10.5.2.0/24}, {@code 10.5.2.0/24 fd00:5:0:2::/64},
   * or for an IPv6-only lease {@code fd00:5:0:2::/64} alone.
   */
  public String subnetsText() {
    return ipv6Subnet.map(v6 -> subnet.isEmpty() ? v6.toString() : subnet + " " + v6).orElse(subnet.toString());
  }

  /** Returns a copy with this expiration. */
  public Lease withExpiration(Instant when) {
    return new Lease(subnet, ipv6Subnet, attrs, Optional.of(when));
  }
}
