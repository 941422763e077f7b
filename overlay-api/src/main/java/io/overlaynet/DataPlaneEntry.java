package io.overlaynet;

import java.util.Objects;

/**
 * One object a backend keeps in the data plane for a peer (a route, a neighbour or FDB entry, a
 * userspace peer-table entry), as compared with what the kernel holds when asked.
 *
 * @param kind what it is: {@code route}, {@code neighbor}, {@code fdb}, {@code peer}...
 * @param description the object as {@code ip} would show it, e.g.
 *     {@code 10.5.7.0/24 via 10.5.7.0 dev flannel.1 onlink}
 * @param drift how the kernel's copy compares with it
 */
public record DataPlaneEntry(String kind, String description, Drift drift) {

  /** How the data plane compares with what a backend wants there. */
  public enum Drift {
    /** Present as wanted. */
    OK,
    /** Wanted but absent (e.g. deleted by hand, not restored yet). */
    MISSING,
    /** Present, but not as wanted (another gateway, MAC, device...). */
    WRONG,
    /** Present and owned by the backend, but no lease backs it any more. */
    STALE
  }

  /** Checks the components. */
  public DataPlaneEntry {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(drift, "drift");
  }

  /** Returns an entry present as wanted. */
  public static DataPlaneEntry ok(String kind, String description) {
    return new DataPlaneEntry(kind, description, Drift.OK);
  }
}
