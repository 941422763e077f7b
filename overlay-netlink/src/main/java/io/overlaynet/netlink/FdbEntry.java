package io.overlaynet.netlink;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.MacAddress;
import java.util.Objects;

/**
 * A bridge forwarding-database entry ({@code bridge fdb}); on a vxlan device, {@code dst} is
 * the remote VTEP that frames for {@code mac} are sent to.
 *
 * <pre>{@code
 * // bridge fdb replace 82:34:e5:45:4f:7b dev flannel.1 dst 192.0.2.12 self permanent
 * handle.fdbSet(FdbEntry.vxlanRemote(flannel1.index(), mac, Ip4.parse("192.0.2.12")));
 * }</pre>
 *
 * @param linkIndex the device (port) the entry is on
 * @param mac the MAC address
 * @param dst the remote VTEP address (vxlan), or null
 * @param state {@code NUD_*} state ({@link Neighbor#PERMANENT} for static entries)
 * @param flags {@code NTF_*} flags: {@link #SELF} or {@link #MASTER}
 * @param masterIndex the bridge the entry belongs to, 0 for none
 * @param vlan the VLAN id, 0 for none
 * @param vni the VNI of a vxlan entry, 0 for the device's own
 * @param port the remote UDP port of a vxlan entry, 0 for the device's
 */
public record FdbEntry(int linkIndex, MacAddress mac, IpAddress dst, int state, int flags, int masterIndex, int vlan,
    int vni, int port) {

  /** {@code NTF_SELF}: the entry is on the device itself ({@code self}). */
  public static final int SELF = 0x02;
  /** {@code NTF_MASTER}: the entry is on the master bridge ({@code master}). */
  public static final int MASTER = 0x04;

  /**
   * Validates the fields.
   *
   * @throws NullPointerException if {@code mac} is null
   */
  public FdbEntry {
    Objects.requireNonNull(mac, "mac");
  }

  /** Returns {@code MAC dev linkIndex dst dst self permanent}: flannel's vxlan entry. */
  public static FdbEntry vxlanRemote(int linkIndex, MacAddress mac, IpAddress dst) {
    return new FdbEntry(linkIndex, mac, dst, Neighbor.PERMANENT, SELF, 0, 0, 0, 0);
  }

  /** Returns whether the entry is permanent. */
  public boolean isPermanent() {
    return (state & Neighbor.PERMANENT) != 0;
  }

  /** Returns whether the entry is on the device itself ({@code self}). */
  public boolean isSelf() {
    return (flags & SELF) != 0;
  }
}
