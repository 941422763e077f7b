package io.overlaynet.netlink;

/**
 * The kind-specific part of a link ({@code IFLA_LINKINFO}): {@link VxlanInfo},
 * {@link BridgeInfo}, {@link VethInfo}, or {@link GenericLinkInfo} for any other kind.
 *
 * <pre>{@code
 * if (link.info() instanceof VxlanInfo vx && vx.vni() == 1) { ... }
 * }</pre>
 */
public sealed interface LinkInfo permits VxlanInfo, BridgeInfo, VethInfo, GenericLinkInfo {

  /** Returns the kernel's kind string ({@code "vxlan"}, {@code "bridge"}, ...); empty when the device has none. */
  String kind();
}
