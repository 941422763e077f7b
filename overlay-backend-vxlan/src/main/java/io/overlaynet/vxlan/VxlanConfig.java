package io.overlaynet.vxlan;

import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;

/**
 * The vxlan section of the network config ({@code "Backend": {"Type": "vxlan", ...}}), read
 * case-insensitively with flannel's defaults ({@code pkg/backend/vxlan/vxlan.go}).
 *
 * @param vni the VXLAN network identifier ({@code VNI}, default 1)
 * @param port the UDP destination port ({@code Port}); 0 leaves the kernel default, 8472
 * @param gbp the group-based policy extension ({@code GBP}, default false)
 * @param learning MAC learning on the device ({@code Learning}, default false)
 * @param directRouting route directly to peers on the same L2 ({@code DirectRouting}, default false)
 * @param mtu the MTU to derive the device MTU from ({@code MTU}); 0 means the underlay's
 */
record VxlanConfig(int vni, int port, boolean gbp, boolean learning, boolean directRouting, int mtu) {

  /** What VXLAN adds to each packet: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
  static final int ENCAP_OVERHEAD = 50;

  /** The same over IPv6: outer IPv6 40 + UDP 8 + VXLAN 8 + inner Ethernet 14 (the kernel's VXLAN6_HEADROOM). */
  static final int ENCAP_OVERHEAD_V6 = 70;

  /** The smallest MTU with which the kernel keeps IPv6 on a device. */
  static final int IPV6_MIN_MTU = 1280;

  /** The port the kernel uses when none is given (the Linux VXLAN default, not IANA's 4789). */
  static final int KERNEL_DEFAULT_PORT = 8472;

  /** Parses the backend section; unknown options are ignored, as flannel does. */
  static VxlanConfig parse(NetworkConfig.BackendConfig backend) {
    int vni = backend.getInt("VNI", 1);
    if (vni >= (1 << 24)) {
      throw new NetworkConfigException("vxlan: VNI must be below 16777216, got " + vni);
    }
    int port = backend.getInt("Port", 0);
    if (port > 0xffff) {
      throw new NetworkConfigException("vxlan: Port must be a UDP port (0-65535), got " + port);
    }
    int mtu = backend.getInt("MTU", 0);
    if (mtu != 0 && mtu - ENCAP_OVERHEAD < 68) {
      throw new NetworkConfigException("vxlan: MTU " + mtu + " leaves less than 68 bytes after the "
          + ENCAP_OVERHEAD + "-byte VXLAN overhead");
    }
    return new VxlanConfig(vni, port, backend.getBoolean("GBP", false), backend.getBoolean("Learning", false),
        backend.getBoolean("DirectRouting", false), mtu);
  }

  /** Returns the device name, {@code flannel.<VNI>}. */
  String deviceName() {
    return "flannel." + vni;
  }

  /** Returns the IPv6 device name, {@code flannel-v6.<VNI>}. */
  String deviceName6() {
    return "flannel-v6." + vni;
  }

  /** Returns the device MTU (also {@code FLANNEL_MTU}): the configured or underlay MTU minus 50. */
  int deviceMtu(int underlayMtu) {
    return (mtu > 0 ? mtu : underlayMtu) - ENCAP_OVERHEAD;
  }

  /**
   * Returns the MTU of {@code flannel-v6.<VNI>}: the configured or underlay MTU minus 70, what the
   * kernel gives a vxlan device over IPv6 (flanneld's {@code mtu 1430} on a 1500 underlay).
   */
  int deviceMtu6(int underlayMtu) {
    return (mtu > 0 ? mtu : underlayMtu) - ENCAP_OVERHEAD_V6;
  }

  /** Returns the port the device really uses: the configured one or the kernel default. */
  int effectivePort() {
    return port > 0 ? port : KERNEL_DEFAULT_PORT;
  }

  @Override
  public String toString() {
    // flannel's start-up line: "VXLAN config: VNI=1 Port=0 GBP=false Learning=false DirectRouting=false"
    return "VNI=" + vni + " Port=" + port + " GBP=" + gbp + " Learning=" + learning + " DirectRouting=" + directRouting
        + (mtu > 0 ? " MTU=" + mtu : "");
  }
}
