package io.overlaynet.netlink;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.MacAddress;
import java.util.Objects;

/**
 * An ARP (IPv4) or NDP (IPv6) neighbour entry.
 *
 * <pre>{@code
 * // ip neigh replace 10.5.2.0 lladdr 82:34:e5:45:4f:7b dev flannel.1 nud permanent
 * handle.neighSet(Neighbor.permanent(flannel1.index(), Ip4.parse("10.5.2.0"), mac));
 * }</pre>
 *
 * @param linkIndex the interface index
 * @param ip the network-layer address
 * @param mac the link-layer address, or null (e.g. an incomplete entry)
 * @param state {@code NUD_*} state bits ({@link #PERMANENT}, {@link #REACHABLE}, ...)
 * @param flags {@code NTF_*} flags
 * @param type the route type of the entry ({@code RTN_UNICAST} = 1 when read back; 0 when writing)
 */
public record Neighbor(int linkIndex, IpAddress ip, MacAddress mac, int state, int flags, int type) {

  /** {@code NUD_INCOMPLETE}. */ public static final int INCOMPLETE = 0x01;
  /** {@code NUD_REACHABLE}. */ public static final int REACHABLE = 0x02;
  /** {@code NUD_STALE}. */ public static final int STALE = 0x04;
  /** {@code NUD_FAILED}. */ public static final int FAILED = 0x20;
  /** {@code NUD_NOARP}. */ public static final int NOARP = 0x40;
  /** {@code NUD_PERMANENT}: a static entry. */ public static final int PERMANENT = 0x80;

  /**
   * Validates the fields.
   *
   * @throws NullPointerException if {@code ip} is null
   */
  public Neighbor {
    Objects.requireNonNull(ip, "ip");
  }

  /** Returns a permanent entry {@code ip lladdr mac dev linkIndex nud permanent}. */
  public static Neighbor permanent(int linkIndex, IpAddress ip, MacAddress mac) {
    return new Neighbor(linkIndex, ip, mac, PERMANENT, 0, 0);
  }

  /** Returns the family of the entry. */
  public Family family() {
    return Family.of(ip);
  }

  /** Returns whether the entry is permanent. */
  public boolean isPermanent() {
    return (state & PERMANENT) != 0;
  }
}
