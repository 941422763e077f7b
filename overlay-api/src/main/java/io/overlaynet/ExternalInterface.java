package io.overlaynet;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import java.util.Objects;
import java.util.Optional;

/**
 * The host interface that carries the overlay (flannel's {@code backend.ExternalInterface}).
 *
 * @param name the interface name, e.g. {@code eth0}
 * @param index the kernel interface index
 * @param mtu the interface MTU; backends derive theirs from it
 * @param ifaceAddr the interface's IPv4 address, used to bind and as the vxlan local address
 * @param extAddr the public IPv4 address published in the lease ({@code --public-ip}, else
 *     {@code ifaceAddr}); differs from {@code ifaceAddr} behind NAT
 * @param ifaceV6Addr the interface's IPv6 address, if any
 * @param extV6Addr the public IPv6 address, if any
 */
public record ExternalInterface(
    String name, int index, int mtu, Ip4 ifaceAddr, Ip4 extAddr, Optional<Ip6> ifaceV6Addr, Optional<Ip6> extV6Addr) {

  /** Checks the components. */
  public ExternalInterface {
    Objects.requireNonNull(name, "name");
    checkArgument(index > 0, "interface index must be positive: %s", index);
    checkArgument(mtu >= 68, "MTU too small: %s", mtu);
    Objects.requireNonNull(ifaceAddr, "ifaceAddr");
    Objects.requireNonNull(extAddr, "extAddr");
    Objects.requireNonNull(ifaceV6Addr, "ifaceV6Addr");
    Objects.requireNonNull(extV6Addr, "extV6Addr");
  }

  /** Returns an IPv4-only interface whose public address is its own address. */
  public static ExternalInterface ipv4(String name, int index, int mtu, Ip4 addr) {
    return new ExternalInterface(name, index, mtu, addr, addr, Optional.empty(), Optional.empty());
  }

  /** Returns a copy that publishes {@code publicIp} instead of the interface address. */
  public ExternalInterface withExtAddr(Ip4 publicIp) {
    return new ExternalInterface(name, index, mtu, ifaceAddr, publicIp, ifaceV6Addr, extV6Addr);
  }
}
