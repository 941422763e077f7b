package io.overlaynet.netlink;

import java.util.Objects;

/**
 * A network interface: its common attributes and its kind-specific info. The same type
 * describes a link to create ({@link NetlinkHandle#linkAdd}) and a link read back
 * ({@link NetlinkHandle#linkByName}).
 *
 * <pre>{@code
 * Link created = handle.linkAdd(Link.of("br0", BridgeInfo.DEFAULT));
 * Link vx = handle.linkByName("flannel.1");
 * if (vx.info() instanceof VxlanInfo info && info.vni() != 1) { ... recreate ... }
 * }</pre>
 *
 * @param attrs the common attributes
 * @param info the kind-specific part
 */
public record Link(LinkAttrs attrs, LinkInfo info) {

  /**
   * Validates the parts.
   *
   * @throws NullPointerException if a part is null
   */
  public Link {
    Objects.requireNonNull(attrs, "attrs");
    Objects.requireNonNull(info, "info");
  }

  /** Returns a link spec with only a name and a kind. */
  public static Link of(String name, LinkInfo info) {
    return new Link(LinkAttrs.named(name), info);
  }

  /** Returns a link spec with the given attributes and kind. */
  public static Link of(LinkAttrs attrs, LinkInfo info) {
    return new Link(attrs, info);
  }

  /** Returns the interface name. */
  public String name() {
    return attrs.name();
  }

  /** Returns the interface index (0 for a spec not yet created). */
  public int index() {
    return attrs.index();
  }

  /** Returns the kind string ({@code "vxlan"}, {@code "bridge"}, {@code "veth"}, ...). */
  public String kind() {
    return info.kind();
  }

  /** Returns whether the link is administratively up. */
  public boolean isUp() {
    return attrs.isUp();
  }
}
