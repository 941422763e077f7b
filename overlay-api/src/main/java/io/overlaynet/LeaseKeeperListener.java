package io.overlaynet;

import java.time.Instant;

/**
 * Hears what happens to this node's own lease while {@link SubnetManager#keepLease} keeps it.
 * Every method has an empty default, so an embedder overrides only what it needs.
 */
public interface LeaseKeeperListener {

  /** The lease was renewed; {@code lease.expiration()} is the new expiry. */
  default void onRenewed(Lease lease) {}

  /** A renewal failed; the next attempt is at {@code retryAt}. */
  default void onRenewFailed(Throwable error, Instant retryAt) {}

  /**
   * The lease was deleted from the store or expired ("Lease has been revoked" in flannel). The
   * keeper has stopped; the node no longer owns its subnet.
   */
  default void onLost(Lease lease) {}
}
