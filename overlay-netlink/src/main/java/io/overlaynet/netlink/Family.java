package io.overlaynet.netlink;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpAddress;

/**
 * The address family of a list or dump: both, IPv4 only or IPv6 only.
 *
 * <pre>{@code
 * handle.routeList(Family.V4);   // ip -4 route
 * }</pre>
 */
public enum Family {
  /** IPv4 and IPv6 ({@code AF_UNSPEC}). */
  ALL(0),
  /** IPv4 ({@code AF_INET}). */
  V4(2),
  /** IPv6 ({@code AF_INET6}). */
  V6(10);

  private final int value;

  Family(int value) {
    this.value = value;
  }

  /** Returns the kernel's {@code AF_*} value. */
  public int value() {
    return value;
  }

  /** Returns the family of {@code ip}. */
  public static Family of(IpAddress ip) {
    return ip instanceof Ip4 ? V4 : V6;
  }

  /**
   * Returns the family with kernel value {@code af}.
   *
   * @throws IllegalArgumentException for families other than AF_UNSPEC, AF_INET, AF_INET6
   */
  public static Family fromValue(int af) {
    for (Family f : values()) {
      if (f.value == af) {
        return f;
      }
    }
    throw new IllegalArgumentException("not an IP address family: " + af);
  }
}
