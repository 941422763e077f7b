package io.overlaynet.traffic;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link TrafficManager#setupMasqRules} installs: the overlay network and this node's lease,
 * per family, and the values of the previous run (from {@code subnet.env}) whose rules are
 * recycled when they differ.
 *
 * <pre>{@code
 * SubnetEnv prev = SubnetFile.read(path).orElse(...);
 * MasqSpec spec = MasqSpec.ipv4(config.network(), lease.subnet(), prev.network(), prev.subnet());
 * }</pre>
 *
 * @param network the overlay network ({@code FLANNEL_NETWORK}); {@link Ip4Net#EMPTY} disables IPv4
 *     (flannel's IPv6-only mode)
 * @param lease this node's IPv4 subnet (the podCIDR, as a network address)
 * @param previousNetwork {@code FLANNEL_NETWORK} of the previous run, if known
 * @param previousLease {@code FLANNEL_SUBNET} of the previous run, if known (host bits are ignored)
 * @param ipv6Network the IPv6 overlay network, if IPv6 is enabled ({@link Ip6Net#EMPTY} counts as absent)
 * @param ipv6Lease this node's IPv6 subnet; present exactly when {@code ipv6Network} is
 * @param previousIpv6Network {@code FLANNEL_IPV6_NETWORK} of the previous run, if known
 * @param previousIpv6Lease {@code FLANNEL_IPV6_SUBNET} of the previous run, if known
 */
public record MasqSpec(
    Ip4Net network,
    Ip4Net lease,
    Optional<Ip4Net> previousNetwork,
    Optional<Ip4Net> previousLease,
    Optional<Ip6Net> ipv6Network,
    Optional<Ip6Net> ipv6Lease,
    Optional<Ip6Net> previousIpv6Network,
    Optional<Ip6Net> previousIpv6Lease) {

  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException if exactly one of {@code ipv6Network} and {@code ipv6Lease} is present
   */
  public MasqSpec {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(previousNetwork, "previousNetwork");
    Objects.requireNonNull(previousLease, "previousLease");
    Objects.requireNonNull(ipv6Network, "ipv6Network");
    Objects.requireNonNull(ipv6Lease, "ipv6Lease");
    Objects.requireNonNull(previousIpv6Network, "previousIpv6Network");
    Objects.requireNonNull(previousIpv6Lease, "previousIpv6Lease");
    checkArgument(ipv6Network.isPresent() == ipv6Lease.isPresent(),
        "the IPv6 network and the IPv6 lease come together: %s, %s", ipv6Network, ipv6Lease);
  }

  /** Returns an IPv4-only spec with no previous run. */
  public static MasqSpec ipv4(Ip4Net network, Ip4Net lease) {
    return ipv4(network, lease, Optional.empty(), Optional.empty());
  }

  /** Returns an IPv4-only spec with the previous run's network and lease. */
  public static MasqSpec ipv4(Ip4Net network, Ip4Net lease, Optional<Ip4Net> previousNetwork,
      Optional<Ip4Net> previousLease) {
    return new MasqSpec(network, lease, previousNetwork, previousLease,
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** Returns a copy that also covers IPv6, with the previous run's IPv6 values. */
  public MasqSpec withIpv6(Ip6Net v6Network, Ip6Net v6Lease, Optional<Ip6Net> previousV6Network,
      Optional<Ip6Net> previousV6Lease) {
    return new MasqSpec(network, lease, previousNetwork, previousLease,
        Optional.of(v6Network), Optional.of(v6Lease), previousV6Network, previousV6Lease);
  }

  /** Returns whether IPv4 rules are wanted ({@link #network()} is not {@link Ip4Net#EMPTY}). */
  public boolean ipv4Enabled() {
    return !network.isEmpty();
  }

  /** Returns whether IPv6 rules are wanted ({@link #ipv6Network()} is present and not {@link Ip6Net#EMPTY}). */
  public boolean ipv6Enabled() {
    return ipv6Network.filter(n -> !n.isEmpty()).isPresent();
  }
}
