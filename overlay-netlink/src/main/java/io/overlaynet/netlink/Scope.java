package io.overlaynet.netlink;

/**
 * The scope of an address or route ({@code RT_SCOPE_*}), as iproute2 names them.
 *
 * <pre>{@code
 * Route.builder(dst).withLinkIndex(i).withScope(Scope.LINK).build();   // ... scope link
 * }</pre>
 */
public enum Scope {
  /** {@code global}: valid everywhere. */
  UNIVERSE(0),
  /** {@code site}. */
  SITE(200),
  /** {@code link}: directly attached. */
  LINK(253),
  /** {@code host}: this host only. */
  HOST(254),
  /** {@code nowhere}; in a delete request it matches any scope. */
  NOWHERE(255);

  private final int value;

  Scope(int value) {
    this.value = value;
  }

  /** Returns the kernel value. */
  public int value() {
    return value;
  }

  /**
   * Returns the scope with kernel value {@code v}. iproute2 lets users set numeric scopes in
   * between; those map to the named scope just below them (they are very rare).
   */
  public static Scope fromValue(int v) {
    Scope best = UNIVERSE;
    for (Scope s : values()) {
      if (s.value <= v) {
        best = s;
      }
    }
    return best;
  }
}
