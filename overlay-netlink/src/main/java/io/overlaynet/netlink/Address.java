package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import java.util.Objects;

/**
 * An interface address: the address itself with its prefix length (host bits kept, unlike
 * {@link IpNet}), the link it is on and its scope.
 *
 * <pre>{@code
 * handle.addrAdd(Address.of(br0.index(), "10.5.7.1/24"));   // ip addr add 10.5.7.1/24 dev br0
 * }</pre>
 *
 * @param ip the local address
 * @param prefixLength the prefix length
 * @param linkIndex the interface index
 * @param scope the scope
 * @param flags {@code IFA_F_*} flags (e.g. {@link #NODAD}, {@link #PERMANENT})
 * @param label the label (IPv4 only), or null
 * @param peer the peer address of a point-to-point address, or null
 * @param broadcast the broadcast address, or null
 */
public record Address(IpAddress ip, int prefixLength, int linkIndex, Scope scope, int flags, String label,
    IpAddress peer, IpAddress broadcast) {

  /** {@code IFA_F_NODAD}: skip IPv6 duplicate address detection. */
  public static final int NODAD = 0x02;
  /** {@code IFA_F_TEMPORARY} (IPv6; the same bit is {@code IFA_F_SECONDARY} for IPv4): a privacy address. */
  public static final int TEMPORARY = 0x01;
  /** {@code IFA_F_DADFAILED}: IPv6 duplicate address detection found another node with it. */
  public static final int DADFAILED = 0x08;
  /** {@code IFA_F_DEPRECATED}: its preferred lifetime ran out. */
  public static final int DEPRECATED = 0x20;
  /** {@code IFA_F_PERMANENT}: a configured (not autoconfigured) address. */
  public static final int PERMANENT = 0x80;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if the prefix length does not fit the family
   */
  public Address {
    Objects.requireNonNull(ip, "ip");
    Objects.requireNonNull(scope, "scope");
    checkArgument(prefixLength >= 0 && prefixLength <= ip.bitLength(), "prefix length out of range: %s", prefixLength);
  }

  /** Returns a global-scope address {@code ip/prefixLength} on {@code linkIndex}. */
  public static Address of(int linkIndex, IpAddress ip, int prefixLength) {
    return new Address(ip, prefixLength, linkIndex, Scope.UNIVERSE, 0, null, null, null);
  }

  /**
   * Parses {@code "10.5.7.1/24"} (host bits kept) into a global-scope address on {@code linkIndex}.
   *
   * @throws IllegalArgumentException if {@code cidr} is not {@code ip/prefix}
   */
  public static Address of(int linkIndex, String cidr) {
    int slash = cidr.indexOf('/');
    checkArgument(slash > 0, "expected ip/prefix: %s", cidr);
    IpAddress ip = IpAddress.parse(cidr.substring(0, slash));
    int len;
    try {
      len = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid prefix length: " + cidr, e);
    }
    return of(linkIndex, ip, len);
  }

  /** Returns the network this address is in (host bits cleared). */
  public IpNet network() {
    return IpNet.of(ip, prefixLength);
  }

  /** Returns a copy with another scope. */
  public Address withScope(Scope s) {
    return new Address(ip, prefixLength, linkIndex, s, flags, label, peer, broadcast);
  }

  /** Returns a copy with other {@code IFA_F_*} flags. */
  public Address withFlags(int f) {
    return new Address(ip, prefixLength, linkIndex, scope, f, label, peer, broadcast);
  }

  /** Returns a copy with a broadcast address. */
  public Address withBroadcast(IpAddress b) {
    return new Address(ip, prefixLength, linkIndex, scope, flags, label, peer, b);
  }

  /** Returns a copy with a peer address (point-to-point). */
  public Address withPeer(IpAddress p) {
    return new Address(ip, prefixLength, linkIndex, scope, flags, label, p, broadcast);
  }

  /** Returns a copy with a label. */
  public Address withLabel(String l) {
    return new Address(ip, prefixLength, linkIndex, scope, flags, l, peer, broadcast);
  }

  /** Returns {@code ip/prefixLength}, e.g. {@code 10.5.7.1/24}. */
  public String cidr() {
    return ip + "/" + prefixLength;
  }
}
