package io.overlaynet.netlink;

import java.util.Objects;

/**
 * A link of a kind this library has no specific view of ({@code tun}, physical devices,
 * loopback); when creating, only the kind is sent.
 *
 * <pre>{@code
 * new GenericLinkInfo("tun").kind();   // "tun"
 * }</pre>
 *
 * @param kind the kind string, empty for devices without one (loopback, physical NICs)
 */
public record GenericLinkInfo(String kind) implements LinkInfo {

  /** A device with no kind (loopback, a physical NIC). */
  public static final GenericLinkInfo NONE = new GenericLinkInfo("");

  /**
   * Validates the kind.
   *
   * @throws NullPointerException if {@code kind} is null
   */
  public GenericLinkInfo {
    Objects.requireNonNull(kind, "kind");
  }
}
