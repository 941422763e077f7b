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
 * @param addresses its addresses, permanent ones first as the kernel lists them
 */
public record HostInterface(String name, int index, int mtu, boolean up, List<IpAddress> addresses) {

  /** Checks and copies the components. */
  public HostInterface {
    Objects.requireNonNull(name, "name");
    addresses = List.copyOf(addresses);
  }
}
