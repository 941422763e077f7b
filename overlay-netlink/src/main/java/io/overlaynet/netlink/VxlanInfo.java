package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.IpAddress;

/**
 * A VXLAN device ({@code type vxlan}): the fields flannel sets and compares when it decides
 * whether an existing {@code flannel.<VNI>} can be reused.
 *
 * <pre>{@code
 * // ip link add flannel.1 type vxlan id 1 local 192.0.2.11 dev eth0 dstport 8472 nolearning
 * VxlanInfo vx = VxlanInfo.builder(1)
 *     .withLocal(Ip4.parse("192.0.2.11")).withVtepDevIndex(eth0.index())
 *     .withPort(8472).withLearning(false).build();
 * }</pre>
 *
 * <p>Read back from the kernel, {@code port} is the actual port (8472 when created with 0) and
 * {@code ageing}/{@code ttl} are the kernel's values. A device with an IPv6 {@code local} (as
 * flannel's {@code flannel-v6.<VNI>}) carries its traffic over IPv6; the three checksum fields are
 * always sent, so a new device gets iproute2's {@code udpcsum noudp6zerocsumtx noudp6zerocsumrx}.
 *
 * @param vni the VXLAN network identifier (24 bits)
 * @param vtepDevIndex underlay device index ({@code dev}), 0 for none
 * @param local local (source) address, or null
 * @param group remote or multicast group address, or null
 * @param port destination UDP port, 0 for the kernel default (8472)
 * @param learning whether the device learns remote MACs
 * @param gbp group-based policy extension
 * @param l2miss L2 miss notifications
 * @param l3miss L3 miss notifications
 * @param proxy ARP proxy
 * @param ttl outer TTL, 0 for auto
 * @param ageing FDB ageing in seconds, -1 for the kernel default
 * @param udpCsum UDP checksums on transmit over IPv4 ({@code udpcsum}; on by default)
 * @param udp6ZeroCsumTx send zero UDP checksums over IPv6 ({@code udp6zerocsumtx}; off by default)
 * @param udp6ZeroCsumRx accept zero UDP checksums over IPv6 ({@code udp6zerocsumrx}; off by default)
 */
public record VxlanInfo(int vni, int vtepDevIndex, IpAddress local, IpAddress group, int port, boolean learning,
    boolean gbp, boolean l2miss, boolean l3miss, boolean proxy, int ttl, int ageing, boolean udpCsum,
    boolean udp6ZeroCsumTx, boolean udp6ZeroCsumRx) implements LinkInfo {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if the VNI, port or TTL is out of range
   */
  public VxlanInfo {
    checkArgument(vni >= 0 && vni < (1 << 24), "VNI out of range: %s", vni);
    checkArgument(port >= 0 && port <= 0xffff, "port out of range: %s", port);
    checkArgument(ttl >= 0 && ttl <= 255, "ttl out of range: %s", ttl);
  }

  /** Starts a builder; learning defaults to on, as in iproute2 and the kernel. */
  public static Builder builder(int vni) {
    return new Builder(vni);
  }

  /** Returns {@code "vxlan"}. */
  @Override
  public String kind() {
    return "vxlan";
  }

  /** Returns a builder initialised from this value. */
  public Builder toBuilder() {
    Builder b = new Builder(vni);
    b.vtepDevIndex = vtepDevIndex;
    b.local = local;
    b.group = group;
    b.port = port;
    b.learning = learning;
    b.gbp = gbp;
    b.l2miss = l2miss;
    b.l3miss = l3miss;
    b.proxy = proxy;
    b.ttl = ttl;
    b.ageing = ageing;
    b.udpCsum = udpCsum;
    b.udp6ZeroCsumTx = udp6ZeroCsumTx;
    b.udp6ZeroCsumRx = udp6ZeroCsumRx;
    return b;
  }

  /** Builds a {@link VxlanInfo}. */
  public static final class Builder {
    private final int vni;
    private int vtepDevIndex;
    private IpAddress local;
    private IpAddress group;
    private int port;
    private boolean learning = true;
    private boolean gbp;
    private boolean l2miss;
    private boolean l3miss;
    private boolean proxy;
    private int ttl;
    private int ageing = -1;
    private boolean udpCsum = true;
    private boolean udp6ZeroCsumTx;
    private boolean udp6ZeroCsumRx;

    private Builder(int vni) {
      this.vni = vni;
    }

    /** Sets the underlay device index ({@code dev}). */
    public Builder withVtepDevIndex(int index) {
      this.vtepDevIndex = index;
      return this;
    }

    /** Sets the local (source) address. */
    public Builder withLocal(IpAddress local) {
      this.local = local;
      return this;
    }

    /** Sets the remote or group address. */
    public Builder withGroup(IpAddress group) {
      this.group = group;
      return this;
    }

    /** Sets the destination port; 0 for the kernel default 8472. */
    public Builder withPort(int port) {
      this.port = port;
      return this;
    }

    /** Turns MAC learning on or off. */
    public Builder withLearning(boolean learning) {
      this.learning = learning;
      return this;
    }

    /** Turns the group-based policy extension on or off. */
    public Builder withGbp(boolean gbp) {
      this.gbp = gbp;
      return this;
    }

    /** Turns L2 miss notifications on or off. */
    public Builder withL2miss(boolean l2miss) {
      this.l2miss = l2miss;
      return this;
    }

    /** Turns L3 miss notifications on or off. */
    public Builder withL3miss(boolean l3miss) {
      this.l3miss = l3miss;
      return this;
    }

    /** Turns the ARP proxy on or off. */
    public Builder withProxy(boolean proxy) {
      this.proxy = proxy;
      return this;
    }

    /** Sets the outer TTL (0 = auto). */
    public Builder withTtl(int ttl) {
      this.ttl = ttl;
      return this;
    }

    /** Sets the FDB ageing time in seconds (-1 = kernel default). */
    public Builder withAgeing(int ageing) {
      this.ageing = ageing;
      return this;
    }

    /** Turns UDP checksums over IPv4 on or off ({@code [no]udpcsum}). */
    public Builder withUdpCsum(boolean on) {
      this.udpCsum = on;
      return this;
    }

    /** Turns zero UDP checksums on transmit over IPv6 on or off ({@code [no]udp6zerocsumtx}). */
    public Builder withUdp6ZeroCsumTx(boolean on) {
      this.udp6ZeroCsumTx = on;
      return this;
    }

    /** Turns accepting zero UDP checksums over IPv6 on or off ({@code [no]udp6zerocsumrx}). */
    public Builder withUdp6ZeroCsumRx(boolean on) {
      this.udp6ZeroCsumRx = on;
      return this;
    }

    /**
     * Builds the value.
     *
     * @throws IllegalArgumentException if a field is out of range
     */
    public VxlanInfo build() {
      return new VxlanInfo(vni, vtepDevIndex, local, group, port, learning, gbp, l2miss, l3miss, proxy, ttl, ageing, udpCsum,
          udp6ZeroCsumTx, udp6ZeroCsumRx);
    }
  }
}
