package io.overlaynet.netlink;

import io.overlaynet.ip.MacAddress;

/**
 * A veth pair ({@code type veth peer name ...}). When creating, the peer may get its own MTU,
 * MAC and namespace. When read back, the kernel does not report the peer's attributes:
 * {@code peerName} is null and the peer's index is {@link LinkAttrs#parentIndex()}.
 *
 * <pre>{@code
 * // ip link add vhost mtu 1450 type veth peer name vctn mtu 1450 netns ctn
 * handle.linkAdd(Link.of(LinkAttrs.builder("vhost").withMtu(1450).build(),
 *     VethInfo.peer("vctn").withPeerMtu(1450).withPeerNamespace(ctn)));
 * }</pre>
 *
 * @param peerName name of the peer (null when read back)
 * @param peerMtu peer MTU, 0 for the kernel default
 * @param peerHardwareAddr peer MAC, or null for a random one
 * @param peerNamespace namespace to create the peer in, or null for the handle's namespace
 */
public record VethInfo(String peerName, int peerMtu, MacAddress peerHardwareAddr, NetNs peerNamespace)
    implements LinkInfo {

  /** A veth as read back from the kernel (no peer details). */
  public static final VethInfo READ = new VethInfo(null, 0, null, null);

  /** Returns a veth spec whose peer is called {@code peerName}, other peer settings default. */
  public static VethInfo peer(String peerName) {
    LinkAttrs.checkName(peerName);
    return new VethInfo(peerName, 0, null, null);
  }

  /** Returns a copy with the peer MTU set. */
  public VethInfo withPeerMtu(int mtu) {
    return new VethInfo(peerName, mtu, peerHardwareAddr, peerNamespace);
  }

  /** Returns a copy with the peer MAC set. */
  public VethInfo withPeerHardwareAddr(MacAddress mac) {
    return new VethInfo(peerName, peerMtu, mac, peerNamespace);
  }

  /** Returns a copy whose peer is created directly in {@code ns} (the fd must stay open until linkAdd returns). */
  public VethInfo withPeerNamespace(NetNs ns) {
    return new VethInfo(peerName, peerMtu, peerHardwareAddr, ns);
  }

  /** Returns {@code "veth"}. */
  @Override
  public String kind() {
    return "veth";
  }
}
