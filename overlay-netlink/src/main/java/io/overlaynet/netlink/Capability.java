package io.overlaynet.netlink;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A native capability probed once (netty's {@code Epoll} pattern): whether it is available and,
 * if not, why.
 *
 * <pre>{@code
 * assumeTrue(Netlink.vxlan().isAvailable(), () -> "no vxlan: " + Netlink.vxlan().unavailabilityCause());
 * Netlink.tun().ensureAvailability();
 * }</pre>
 */
public final class Capability {

  private final String name;
  private final Supplier<Throwable> probe;
  private volatile boolean probed;
  private volatile Throwable cause;

  /**
   * Makes a capability whose {@code probe} returns null when available, else the reason.
   * Internal usage only.
   */
  static Capability of(String name, Supplier<Throwable> probe) {
    return new Capability(name, probe);
  }

  private Capability(String name, Supplier<Throwable> probe) {
    this.name = Objects.requireNonNull(name);
    this.probe = probe;
  }

  /** Returns the capability's name, e.g. {@code "vxlan"}. */
  public String name() {
    return name;
  }

  /** Returns whether the capability is available (probed on first call). */
  public boolean isAvailable() {
    return unavailabilityCause() == null;
  }

  /** Returns why the capability is unavailable, or null if it is available. */
  public Throwable unavailabilityCause() {
    if (!probed) {
      synchronized (this) {
        if (!probed) {
          Throwable t;
          try {
            t = probe.get();
          } catch (RuntimeException | Error e) {
            t = e;
          }
          cause = t;
          probed = true;
        }
      }
    }
    return cause;
  }

  /**
   * Throws unless the capability is available.
   *
   * @throws UnsupportedOperationException with the cause if unavailable
   */
  public void ensureAvailability() {
    Throwable t = unavailabilityCause();
    if (t != null) {
      throw new UnsupportedOperationException(name + " unavailable: " + t.getMessage(), t);
    }
  }

  @Override
  public String toString() {
    return "Capability{" + name + (probed ? (cause == null ? ", available" : ", unavailable: " + cause) : "") + "}";
  }
}
