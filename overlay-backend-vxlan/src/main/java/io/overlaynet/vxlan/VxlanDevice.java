package io.overlaynet.vxlan;

import io.overlaynet.BackendException;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.LinkAttrs;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkExistsException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.VxlanInfo;
import java.io.IOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent set-up of {@code flannel.<VNI>} and {@code flannel-v6.<VNI>}, as flannel's
 * {@code device.go}: create it; if it exists, reuse it when compatible, else delete and recreate
 * it; then address and bring it up. The family of the device is that of its local address.
 */
final class VxlanDevice {

  private static final Logger log = LoggerFactory.getLogger(VxlanDevice.class);

  private VxlanDevice() {}

  /**
   * What the device must be.
   *
   * @param name {@code flannel.<VNI>} or {@code flannel-v6.<VNI>}
   * @param vni the VNI
   * @param vtepDevIndex the underlay interface index
   * @param local the local (source) address: the interface's IPv4 or IPv6 address
   * @param port the configured port, 0 for the kernel default
   * @param learning MAC learning
   * @param gbp group-based policy
   * @param mtu the device MTU
   * @param mac the MAC to give a new device
   */
  record Spec(String name, int vni, int vtepDevIndex, IpAddress local, int port, boolean learning, boolean gbp, int mtu,
      MacAddress mac) {

    Spec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(local, "local");
      Objects.requireNonNull(mac, "mac");
    }

    /** Returns a copy that creates the device with {@code m}. */
    Spec withMac(MacAddress m) {
      return new Spec(name, vni, vtepDevIndex, local, port, learning, gbp, mtu, m);
    }

    Link toLink() {
      // No L2MISS/L3MISS and no group: every remote is programmed in advance (no flooding, no misses).
      // txqlen 0 as flanneld's device (vishvananda/netlink sends its zero TxQLen); the qdisc is noqueue anyway.
      return Link.of(LinkAttrs.builder(name).withMtu(mtu).withHardwareAddr(mac).withTxQueueLen(0).build(),
          VxlanInfo.builder(vni).withVtepDevIndex(vtepDevIndex).withLocal(local).withPort(port)
              .withLearning(learning).withGbp(gbp).build());
    }
  }

  /**
   * Creates the device, or returns the existing one when compatible; an incompatible one is
   * deleted and recreated, keeping its MAC so that peers' ARP and FDB entries stay valid.
   *
   * @throws NetlinkException if a kernel call fails
   */
  static Link ensure(NetlinkHandle nl, Spec spec) throws NetlinkException {
    try {
      return nl.linkAdd(spec.toLink());
    } catch (NetlinkExistsException e) {
      log.debug("VXLAN device already exists");
    }
    Link existing = nl.linkByName(spec.name());
    String incompat = incompatibility(spec, existing);
    if (incompat == null) {
      log.debug("Returning existing device");
      return existing;
    }
    log.warn("\"{}\" already exists with incompatible configuration: {}; recreating device", spec.name(), incompat);
    nl.linkDel(existing.index());
    MacAddress keep = existing.attrs().hardwareAddr();
    return nl.linkAdd((keep != null && existing.info() instanceof VxlanInfo ? spec.withMac(keep) : spec).toLink());
  }

  /**
   * Returns why {@code existing} cannot serve as {@code spec}, or null if it can (flannel's
   * {@code vxlanLinksIncompat}; MTU and MAC are not compared: they can be changed in place).
   */
  static String incompatibility(Spec spec, Link existing) {
    if (!(existing.info() instanceof VxlanInfo vx)) {
      return "link type: " + existing.kind() + " vs vxlan";
    }
    if (vx.vni() != spec.vni()) {
      return "vxlan.VxlanId: " + vx.vni() + " vs " + spec.vni();
    }
    if (spec.vtepDevIndex() > 0 && vx.vtepDevIndex() != spec.vtepDevIndex()) {
      return "vxlan.VtepDevIndex: " + vx.vtepDevIndex() + " vs " + spec.vtepDevIndex();
    }
    if (!spec.local().equals(vx.local())) {
      return "vxlan.SrcAddr: " + vx.local() + " vs " + spec.local();
    }
    if (vx.group() != null && !isUnspecified(vx.group())) {
      return "vxlan.Group: " + vx.group() + " vs none";
    }
    int havePort = vx.port() > 0 ? vx.port() : VxlanConfig.KERNEL_DEFAULT_PORT;
    int wantPort = spec.port() > 0 ? spec.port() : VxlanConfig.KERNEL_DEFAULT_PORT;
    if (havePort != wantPort) {
      return "vxlan.Port: " + havePort + " vs " + wantPort;
    }
    if (vx.gbp() != spec.gbp()) {
      return "vxlan.GBP: " + vx.gbp() + " vs " + spec.gbp();
    }
    if (vx.learning() != spec.learning()) {
      return "vxlan.Learning: " + vx.learning() + " vs " + spec.learning();
    }
    if (vx.l2miss() || vx.l3miss()) {
      return "vxlan.L2miss/L3miss: " + vx.l2miss() + "/" + vx.l3miss() + " vs false/false";
    }
    return null;
  }

  private static boolean isUnspecified(IpAddress ip) {
    return ip instanceof Ip4 v4 ? v4.isUnspecified() : ((Ip6) ip).isUnspecified();
  }

  /**
   * Gives the device its address, MTU and MAC, and brings it up: {@code <subnet.0>/32} (IPv6:
   * {@code <subnet::>/128}), removing other addresses of that family inside {@code network}
   * (flannel's {@code EnsureV4AddressOnLink} / {@code EnsureV6AddressOnLink}), then checks that the
   * kernel kept the MAC (udev's MACAddressPolicy may rewrite it when the link comes up).
   *
   * @return the device as read back
   * @throws NetlinkException if a kernel call fails
   * @throws BackendException if the MAC cannot be kept
   */
  static Link configure(NetlinkHandle nl, Link dev, IpAddress address, IpNet network, int mtu, MacAddress mac)
      throws NetlinkException {
    int index = dev.index();
    if (mtu > 0 && dev.attrs().mtu() != mtu) {
      nl.linkSetMtu(index, mtu);
    }
    if (!mac.equals(dev.attrs().hardwareAddr())) {
      nl.linkSetHardwareAddr(index, mac);
    }
    ensureAddress(nl, index, dev.name(), address, network);
    if (!dev.isUp()) {
      nl.linkSetUp(index);
    }
    Link up = nl.linkByIndex(index);
    if (!mac.equals(up.attrs().hardwareAddr())) {
      nl.linkSetHardwareAddr(index, mac);
      up = nl.linkByIndex(index);
      if (!mac.equals(up.attrs().hardwareAddr())) {
        throw new BackendException(dev.name() + "'s mac address wanted: " + mac + ", but got: "
            + up.attrs().hardwareAddr());
      }
    }
    return up;
  }

  /**
   * Ensures {@code address} as a host address ({@code /32}, {@code /128}) on the link and removes
   * other addresses of its family inside {@code network} (an old lease's address after the
   * subnet changed); the kernel's IPv6 link-local address is outside the network and stays.
   *
   * @throws NetlinkException if a kernel call fails
   */
  static void ensureAddress(NetlinkHandle nl, int index, String name, IpAddress address, IpNet network)
      throws NetlinkException {
    int hostBits = address.bitLength();
    boolean has = false;
    for (Address a : nl.addrList(index, Family.of(address))) {
      if (a.ip().equals(address) && a.prefixLength() == hostBits) {
        has = true;
      } else if (network.containsAddress(a.ip())) {
        nl.addrDel(a);
        log.info("Removed IP address {} from {}", a.cidr(), name);
      }
    }
    if (!has) {
      Address want = Address.of(index, address, hostBits);
      // nodad: the address is the source of host-to-container traffic at once, not after DAD's
      // second of "tentative" (no node answers NDP on flannel-v6 anyway: there is no flooding).
      nl.addrReplace(address instanceof Ip6 ? want.withFlags(Address.NODAD) : want);
    }
  }

  /** Turns off IPv6 router advertisements on the device, as flannel does; IPv6 may be disabled. */
  static void disableAcceptRa(NetlinkHandle nl, String name) {
    try {
      nl.sysctl().set("net/ipv6/conf/" + name + "/accept_ra", "0");
    } catch (IOException | RuntimeException e) {
      log.debug("could not set net.ipv6.conf.{}.accept_ra=0: {}", name, e.toString());
    }
  }
}
