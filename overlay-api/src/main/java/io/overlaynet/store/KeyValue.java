package io.overlaynet.store;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * One key and its value as read from a {@link Store}.
 *
 * @param key the full key, e.g. {@code /coreos.com/network/subnets/10.5.2.0-24}
 * @param value the value as UTF-8 text (flannel stores JSON)
 * @param modRevision the store revision of the last write of this key
 */
public record KeyValue(String key, String value, long modRevision) {

  /** Checks the components. */
  public KeyValue {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    checkArgument(modRevision >= 0, "negative revision: %s", modRevision);
  }
}
