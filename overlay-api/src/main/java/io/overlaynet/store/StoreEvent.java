package io.overlaynet.store;

import java.util.Objects;

/**
 * One change to one key, as reported by a {@link Store} watch.
 *
 * @param type whether the key was written or removed (deleted or expired)
 * @param key the full key
 * @param value the new value for {@link Type#PUT}; empty for {@link Type#DELETE}
 * @param revision the store revision of the change
 */
public record StoreEvent(Type type, String key, String value, long revision) {

  /** The kind of change. */
  public enum Type {
    /** The key was created or updated. */
    PUT,
    /** The key was deleted, or its TTL ran out. */
    DELETE
  }

  /** Checks the components. */
  public StoreEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    value = value == null ? "" : value;
  }

  /** Returns a PUT event. */
  public static StoreEvent put(String key, String value, long revision) {
    return new StoreEvent(Type.PUT, key, value, revision);
  }

  /** Returns a DELETE event. */
  public static StoreEvent delete(String key, long revision) {
    return new StoreEvent(Type.DELETE, key, "", revision);
  }
}
