package io.overlaynet.vxlan;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import java.util.Objects;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A remote vxlan node as this node programs it for one address family, and the kernel objects
 * that stand for it (flannel's {@code vxlan_network.go handleSubnetEvents}). A dual-stack node is
 * two peers: its IPv4 subnet behind {@code flannel.<VNI>} and its IPv6 subnet behind
 * {@code flannel-v6.<VNI>}, each with its own VTEP MAC and public address.
 *
 * @param subnet the remote node's subnet of this family
 * @param publicIp the remote node's public address of this family (the VTEP address on the underlay)
 * @param vtepMac the MAC of the remote {@code flannel.<VNI>} or {@code flannel-v6.<VNI>}
 * @param direct whether DirectRouting applies: the remote is on this node's L2 segment
 */
record Peer(IpNet subnet, IpAddress publicIp, MacAddress vtepMac, boolean direct) {

  /** {@code RTN_UNICAST}, the type flannel gives its ARP entries. */
  static final int RTN_UNICAST = 1;

  Peer {
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(publicIp, "publicIp");
    Objects.requireNonNull(vtepMac, "vtepMac");
    checkArgument(subnet.address().getClass() == publicIp.getClass(), "%s and %s are of two families", subnet,
        publicIp);
  }

  /** Returns the remote device's address, the subnet's network address (e.g. {@code 10.5.2.0}, {@code fd00:5:0:16::}). */
  IpAddress vtepIp() {
    return subnet.address();
  }

  /**
   * Returns the route: {@code <subnet> via <subnet.0> dev flannel.N onlink}, or with DirectRouting
   * {@code <subnet> via <publicIp>} (the kernel picks the underlay device).
   */
  Route route(int devIndex) {
    if (direct) {
      return Route.builder(subnet).withGateway(publicIp).build();
    }
    return Route.builder(subnet).withGateway(vtepIp()).withLinkIndex(devIndex).withOnlink(true).build();
  }

  /** Returns the ARP entry {@code <subnet.0> lladdr <VtepMAC> dev flannel.N nud permanent}. */
  Neighbor neighbor(int devIndex) {
    return new Neighbor(devIndex, vtepIp(), vtepMac, Neighbor.PERMANENT, 0, RTN_UNICAST);
  }

  /** Returns the FDB entry {@code <VtepMAC> dev flannel.N dst <publicIp> self permanent}. */
  FdbEntry fdb(int devIndex) {
    return FdbEntry.vxlanRemote(devIndex, vtepMac, publicIp);
  }

  @Override
  public String toString() {
    return subnet + " PublicIP: " + publicIp + " VtepMAC: " + vtepMac + (direct ? " (direct)" : "");
  }
}
