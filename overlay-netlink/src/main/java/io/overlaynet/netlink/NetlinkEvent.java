package io.overlaynet.netlink;

import java.util.Objects;

/**
 * One change notification from the kernel: an object was added or changed ({@link Type#NEW}) or
 * removed ({@link Type#DEL}).
 *
 * <pre>{@code
 * handle.subscribeLinks(SubscribeOptions.DEFAULT, event -> {
 *   if (event.type() == NetlinkEvent.Type.DEL && event.value().name().equals("flannel.1")) { ... }
 * });
 * }</pre>
 *
 * @param type added/changed or removed
 * @param value the object as the kernel reported it
 * @param <T> {@link Link}, {@link Address}, {@link Route} or {@link Neighbor}
 */
public record NetlinkEvent<T>(Type type, T value) {

  /** The kind of change. */
  public enum Type {
    /** Added or changed ({@code RTM_NEW*}); also used for objects listed at subscription time. */
    NEW,
    /** Removed ({@code RTM_DEL*}). */
    DEL
  }

  /**
   * Validates the parts.
   *
   * @throws NullPointerException if a part is null
   */
  public NetlinkEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(value, "value");
  }
}
