package io.overlaynet;

import java.time.Instant;

/**
 * Hears what happens to this node's own lease while {@link SubnetManager#keepLease} keeps it.
 * Every method has an empty default, so an embedder overrides only what it needs.
 */
public interface LeaseKeeperListener {

  /** The lease was renewed; {@code lease.expiration()} is the new expiry. */
  default void onRenewed(Lease lease) {}

  /**
   * A renewal failed; the next attempt is at {@code retryAt} (with back-off, until the store
   * answers). The data plane is not touched meanwhile.
   */
  default void onRenewFailed(Throwable error, Instant retryAt) {}

  /**
   * The subnet is no longer this node's: its key was deleted or expired and another node holds
   * the subnet now (its key names another public IP). A lease that was merely deleted or expired
   * is re-created by the keeper with the same subnet and reported through {@link #onRenewed}; a
   * key overwritten with this node's public IP is written back. The keeper has stopped.
   */
  default void onLost(Lease lease) {}

  /**
   * The keeper stopped for good because the store refused it (for example authentication failed,
   * or the store was closed); a store that is merely unreachable is retried, never reported here.
   */
  default void onFailed(Throwable error) {}
}
