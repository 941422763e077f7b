package io.overlaynet;

import java.util.Objects;
import java.util.Optional;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;

/**
 * The contents of flannel's {@code subnet.env}, read by Docker, CNI and {@code mk-docker-opts.sh}.
 *
 * <p>Subnets are held as networks ({@code 10.5.72.0/24}); {@link SubnetFile} writes
 * {@code FLANNEL_SUBNET} as the first usable address with the prefix ({@code 10.5.72.1/24}), as
 * flannel does, and reads either form.
 *
 * @param network {@code FLANNEL_NETWORK}, if IPv4 is enabled
 * @param subnet the node's IPv4 subnet ({@code FLANNEL_SUBNET})
 * @param ipv6Network {@code FLANNEL_IPV6_NETWORK}, if IPv6 is enabled
 * @param ipv6Subnet the node's IPv6 subnet ({@code FLANNEL_IPV6_SUBNET})
 * @param mtu {@code FLANNEL_MTU}; 0 when a file read back has none
 * @param ipMasq {@code FLANNEL_IPMASQ}
 */
public record SubnetEnv(
    Optional<Ip4Net> network,
    Optional<Ip4Net> subnet,
    Optional<Ip6Net> ipv6Network,
    Optional<Ip6Net> ipv6Subnet,
    int mtu,
    boolean ipMasq) {

  /** Checks the components. */
  public SubnetEnv {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(ipv6Network, "ipv6Network");
    Objects.requireNonNull(ipv6Subnet, "ipv6Subnet");
  }

  /** Returns the IPv4-only contents flannel writes for {@code network} and {@code subnet}. */
  public static SubnetEnv ipv4(Ip4Net network, Ip4Net subnet, int mtu, boolean ipMasq) {
    return new SubnetEnv(Optional.of(network), Optional.of(subnet), Optional.empty(), Optional.empty(), mtu, ipMasq);
  }
}
