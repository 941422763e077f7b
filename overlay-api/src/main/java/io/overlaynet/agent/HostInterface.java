package io.overlaynet.agent;

import io.overlaynet.ip.IpAddress;
import java.util.List;
import java.util.Objects;

/**
 * One network interface of the host as {@link HostNetwork} reports it.
 *
 * @param name the interface name, e.g. {@code eth0}
 * @param index the kernel interface index
 * @param mtu the MTU
 * @param up whether the interface is administratively up
 * @param addresses its addresses, in the order the kernel lists them
 */
public record HostInterface(String name, int index, int mtu, boolean up, List<HostAddress> addresses) {

  /** Checks and copies the components. */
  public HostInterface {
    Objects.requireNonNull(name, "name");
    addresses = List.copyOf(addresses);
  }

  /** Returns an interface whose addresses are all permanent, scoped as {@link HostAddress#of} says. */
  public static HostInterface of(String name, int index, int mtu, boolean up, List<? extends IpAddress> ips) {
    return new HostInterface(name, index, mtu, up, ips.stream().map(HostAddress::of).toList());
  }

  /** Returns the addresses alone, in the same order. */
  public List<IpAddress> ips() {
    return addresses.stream().map(HostAddress::ip).toList();
  }
}
