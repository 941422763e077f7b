package io.overlaynet.netlink;

/**
 * The type of a route ({@code RTN_*}).
 *
 * <pre>{@code
 * Route.builder(IpNet.parse("10.9.0.0/16")).withType(RouteType.BLACKHOLE).build();   // ip route add blackhole 10.9.0.0/16
 * }</pre>
 */
public enum RouteType {
  /** Unspecified. */ UNSPEC,
  /** A gateway or direct route (the default). */ UNICAST,
  /** A local address. */ LOCAL,
  /** A broadcast address. */ BROADCAST,
  /** Anycast. */ ANYCAST,
  /** Multicast. */ MULTICAST,
  /** Silently drop. */ BLACKHOLE,
  /** Reply "destination unreachable". */ UNREACHABLE,
  /** Reply "administratively prohibited". */ PROHIBIT,
  /** Continue lookup in the next table. */ THROW,
  /** NAT (obsolete). */ NAT,
  /** External resolver. */ XRESOLVE;

  /** Returns the kernel value ({@code RTN_*}). */
  public int value() {
    return ordinal();
  }

  /** Returns the type with kernel value {@code v}; unknown values map to {@link #UNSPEC}. */
  public static RouteType fromValue(int v) {
    RouteType[] all = values();
    return v >= 0 && v < all.length ? all[v] : UNSPEC;
  }
}
