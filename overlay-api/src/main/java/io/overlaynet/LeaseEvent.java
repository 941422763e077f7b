package io.overlaynet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A lease appeared, changed or went away (flannel's {@code lease.Event}).
 *
 * <p>A changed lease (same subnet, new attributes, e.g. a restarted node's new VTEP MAC) is
 * reported as {@link Type#ADDED} again; backends apply it with replace semantics.
 *
 * @param type added (or changed) or removed
 * @param lease the lease; for a removal, the last attributes known for that subnet
 */
public record LeaseEvent(Type type, Lease lease) {

  /** The kind of event. */
  public enum Type {
    /** The lease was created or its attributes changed. */
    ADDED,
    /** The lease was deleted or expired. */
    REMOVED
  }

  /** Checks the components. */
  public LeaseEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(lease, "lease");
  }

  /** Returns an ADDED event. */
  public static LeaseEvent added(Lease lease) {
    return new LeaseEvent(Type.ADDED, lease);
  }

  /** Returns a REMOVED event. */
  public static LeaseEvent removed(Lease lease) {
    return new LeaseEvent(Type.REMOVED, lease);
  }

  /**
   * Keeps only the last event per subnet, ordered by when that last event came: for a data plane
   * whose writes all have replace semantics, that is all a batch needs to apply. Subnets are told
   * apart by the whole lease key (IPv4 and IPv6 subnet): the leases of IPv6-only nodes all have
   * the empty IPv4 subnet.
   */
  public static List<LeaseEvent> lastPerSubnet(List<LeaseEvent> events) {
    Map<String, LeaseEvent> last = new LinkedHashMap<>();
    for (LeaseEvent e : events) {
      last.remove(e.lease().key());
      last.put(e.lease().key(), e);
    }
    return List.copyOf(last.values());
  }
}
