package io.overlaynet.vxlan;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.Route;
import java.util.Objects;

/**
 * A remote vxlan node as this node programs it, and the kernel objects that stand for it
 * (flannel's {@code vxlan_network.go handleSubnetEvents}).
 *
 * @param subnet the remote node's subnet
 * @param publicIp the remote node's public IP (the VTEP address on the underlay)
 * @param vtepMac the MAC of the remote {@code flannel.<VNI>}
 * @param direct whether DirectRouting applies: the remote is on this node's L2 segment
 */
record Peer(Ip4Net subnet, Ip4 publicIp, MacAddress vtepMac, boolean direct) {

  /** {@code RTN_UNICAST}, the type flannel gives its ARP entries. */
  static final int RTN_UNICAST = 1;

  Peer {
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(publicIp, "publicIp");
    Objects.requireNonNull(vtepMac, "vtepMac");
  }

  /** Returns the remote device's address, the subnet's network address (e.g. {@code 10.5.2.0}). */
  Ip4 vtepIp() {
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
