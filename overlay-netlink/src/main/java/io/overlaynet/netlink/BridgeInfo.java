package io.overlaynet.netlink;

/**
 * A Linux bridge ({@code type bridge}); the defaults are what {@code ip link add type bridge} makes.
 *
 * <pre>{@code
 * handle.linkAdd(Link.of("cbr0", BridgeInfo.DEFAULT));   // ip link add cbr0 type bridge
 * }</pre>
 */
public record BridgeInfo() implements LinkInfo {

  /** A bridge with kernel defaults. */
  public static final BridgeInfo DEFAULT = new BridgeInfo();

  /** Returns {@code "bridge"}. */
  @Override
  public String kind() {
    return "bridge";
  }
}
