package io.overlaynet.store;

import java.util.List;

/**
 * The keys under a prefix at one store revision: the starting point of a watch.
 *
 * @param entries the keys, in key order
 * @param revision the store revision the listing reflects; watch from {@code revision + 1}
 */
public record Listing(List<KeyValue> entries, long revision) {

  /** Copies the entries. */
  public Listing {
    entries = List.copyOf(entries);
  }
}
