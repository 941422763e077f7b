package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * A route. Built with {@link #builder(IpNet)}; defaults follow {@code ip route add}: table main,
 * protocol boot, type unicast, and scope link for a unicast route without gateway, else global.
 *
 * <pre>{@code
 * // ip route replace 10.5.2.0/24 via 10.5.2.0 dev flannel.1 onlink
 * Route r = Route.builder(IpNet.parse("10.5.2.0/24"))
 *     .withGateway(Ip4.parse("10.5.2.0")).withLinkIndex(flannel1.index()).withOnlink(true).build();
 * handle.routeReplace(r);
 * }</pre>
 *
 * @param dst the destination ({@code 0.0.0.0/0} or {@code ::/0} for a default route)
 * @param gateway the gateway ({@code via}), or null
 * @param linkIndex the output interface ({@code dev}), 0 for none
 * @param prefSrc the preferred source ({@code src}), or null
 * @param scope the scope
 * @param table the table id (254 = main)
 * @param protocol the protocol ({@code RTPROT_*}, 3 = boot)
 * @param type the route type
 * @param flags {@code RTNH_F_*} / {@code RTM_F_*} flags ({@link #ONLINK})
 * @param priority the metric, 0 for none
 */
public record Route(IpNet dst, IpAddress gateway, int linkIndex, IpAddress prefSrc, Scope scope, int table,
    int protocol, RouteType type, int flags, int priority) {

  /** {@code RTNH_F_ONLINK}: the gateway is on the link even if no address says so. */
  public static final int ONLINK = 4;
  /** The main table. */
  public static final int TABLE_MAIN = 254;
  /** The local table. */
  public static final int TABLE_LOCAL = 255;
  /** Protocol {@code boot}, what {@code ip route add} uses. */
  public static final int PROTO_BOOT = 3;
  /** Protocol {@code kernel}, for routes the kernel adds for addresses. */
  public static final int PROTO_KERNEL = 2;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if gateway or source are of another family than dst
   */
  public Route {
    Objects.requireNonNull(dst, "dst");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(type, "type");
    checkArgument(gateway == null || Family.of(gateway) == family(dst), "gateway %s not in family of %s", gateway, dst);
    checkArgument(prefSrc == null || Family.of(prefSrc) == family(dst), "src %s not in family of %s", prefSrc, dst);
    checkArgument(table > 0, "table must be positive: %s", table);
  }

  private static Family family(IpNet net) {
    return Family.of(net.address());
  }

  /** Starts a builder for a route to {@code dst}. */
  public static Builder builder(IpNet dst) {
    return new Builder(dst);
  }

  /** Returns the address family. */
  public Family family() {
    return family(dst);
  }

  /** Returns whether the {@code onlink} flag is set. */
  public boolean isOnlink() {
    return (flags & ONLINK) != 0;
  }

  /** Returns whether this is a default route (prefix length 0). */
  public boolean isDefault() {
    return dst.prefixLength() == 0;
  }

  /**
   * Returns the route as {@code ip route} prints it, e.g.
   * {@code 10.5.7.0/24 via 10.5.7.0 dev flannel.1 onlink}; {@code linkName} names a device index
   * ({@code if<N>} is iproute2's word for one it cannot name).
   */
  public String describe(IntFunction<String> linkName) {
    StringBuilder b = new StringBuilder(dst.toString());
    if (gateway != null) {
      b.append(" via ").append(gateway);
    }
    if (linkIndex != 0) {
      b.append(" dev ").append(linkName.apply(linkIndex));
    }
    if (isOnlink()) {
      b.append(" onlink");
    }
    return b.toString();
  }

  /** Returns a builder initialised from this route. */
  public Builder toBuilder() {
    Builder b = new Builder(dst);
    b.gateway = gateway;
    b.linkIndex = linkIndex;
    b.prefSrc = prefSrc;
    b.scope = scope;
    b.table = table;
    b.protocol = protocol;
    b.type = type;
    b.flags = flags;
    b.priority = priority;
    return b;
  }

  /** Builds a {@link Route}. */
  public static final class Builder {
    private final IpNet dst;
    private IpAddress gateway;
    private int linkIndex;
    private IpAddress prefSrc;
    private Scope scope;
    private int table = TABLE_MAIN;
    private int protocol = PROTO_BOOT;
    private RouteType type = RouteType.UNICAST;
    private int flags;
    private int priority;

    private Builder(IpNet dst) {
      this.dst = Objects.requireNonNull(dst, "dst");
    }

    /** Sets the gateway ({@code via}). */
    public Builder withGateway(IpAddress gw) {
      this.gateway = gw;
      return this;
    }

    /** Sets the output interface ({@code dev}). */
    public Builder withLinkIndex(int index) {
      this.linkIndex = index;
      return this;
    }

    /** Sets the preferred source address ({@code src}). */
    public Builder withPrefSrc(IpAddress src) {
      this.prefSrc = src;
      return this;
    }

    /** Sets the scope explicitly (else derived as {@code ip route add} does). */
    public Builder withScope(Scope s) {
      this.scope = s;
      return this;
    }

    /** Sets the table id. */
    public Builder withTable(int t) {
      this.table = t;
      return this;
    }

    /** Sets the protocol. */
    public Builder withProtocol(int p) {
      this.protocol = p;
      return this;
    }

    /** Sets the route type. */
    public Builder withType(RouteType t) {
      this.type = t;
      return this;
    }

    /** Sets or clears the {@code onlink} flag. */
    public Builder withOnlink(boolean onlink) {
      this.flags = onlink ? flags | ONLINK : flags & ~ONLINK;
      return this;
    }

    /** Sets raw flags. */
    public Builder withFlags(int f) {
      this.flags = f;
      return this;
    }

    /** Sets the metric. */
    public Builder withPriority(int metric) {
      this.priority = metric;
      return this;
    }

    /**
     * Builds the route; an unset scope becomes what iproute2 would choose: host for local
     * routes, link for broadcast/multicast and for unicast routes without a gateway, else global.
     *
     * @throws IllegalArgumentException if the fields are inconsistent
     */
    public Route build() {
      Scope s = scope;
      if (s == null) {
        s = switch (type) {
          case LOCAL, NAT -> Scope.HOST;
          case BROADCAST, MULTICAST, ANYCAST -> Scope.LINK;
          case UNICAST, UNSPEC -> gateway == null && linkIndex != 0 ? Scope.LINK : Scope.UNIVERSE;
          default -> Scope.UNIVERSE;
        };
      }
      return new Route(dst, gateway, linkIndex, prefSrc, s, table, protocol, type, flags, priority);
    }
  }
}
