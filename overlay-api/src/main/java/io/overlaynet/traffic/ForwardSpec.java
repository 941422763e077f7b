package io.overlaynet.traffic;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link TrafficManager#setupForwardRules} installs: accept forwarding from and to the overlay
 * network, per enabled family (flanneld's {@code --iptables-forward-rules}).
 *
 * <pre>{@code
 * tm.setupForwardRules(ForwardSpec.ipv4(Ip4Net.parse("10.5.0.0/16")));
 * }</pre>
 *
 * @param network the IPv4 overlay network, if IPv4 is enabled ({@link Ip4Net#EMPTY} counts as absent, as in flannel)
 * @param ipv6Network the IPv6 overlay network, if IPv6 is enabled ({@link Ip6Net#EMPTY} counts as absent)
 */
public record ForwardSpec(Optional<Ip4Net> network, Optional<Ip6Net> ipv6Network) {

  /** Checks the components. */
  public ForwardSpec {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(ipv6Network, "ipv6Network");
  }

  /** Returns an IPv4-only spec. */
  public static ForwardSpec ipv4(Ip4Net network) {
    return new ForwardSpec(Optional.of(network), Optional.empty());
  }

  /** Returns a dual-stack spec. */
  public static ForwardSpec of(Ip4Net network, Ip6Net ipv6Network) {
    return new ForwardSpec(Optional.of(network), Optional.of(ipv6Network));
  }
}
