package io.overlaynet.agent;

import io.overlaynet.ip.IpAddress;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One address of a host interface, with what the agent needs to choose among IPv6 addresses as
 * flannel does: global before link-local, permanent before dynamic, never temporary (privacy) or
 * deprecated ones.
 *
 * @param ip the address
 * @param global whether its scope is global (not link-local, not host)
 * @param permanent whether it was configured, rather than learnt (SLAAC, DHCPv6) with a lifetime
 * @param temporary whether it is an RFC 8981 temporary (privacy) address
 * @param deprecated whether its preferred lifetime ran out
 */
public record HostAddress(IpAddress ip, boolean global, boolean permanent, boolean temporary, boolean deprecated) {

  /** Checks the components. */
  public HostAddress {
    Objects.requireNonNull(ip, "ip");
  }

  /**
   * Returns a permanent address whose scope follows from the address itself (link-local
   * {@code fe80::/10} and {@code 169.254.0.0/16}, loopback, else global), for hosts that cannot
   * report address flags.
   */
  public static HostAddress of(IpAddress ip) {
    InetAddress a = ip.toInetAddress();
    return new HostAddress(ip, !a.isLinkLocalAddress() && !a.isLoopbackAddress(), true, false, false);
  }

  /** Whether it may carry the overlay: neither temporary nor deprecated. */
  public boolean usable() {
    return !temporary && !deprecated;
  }
}
