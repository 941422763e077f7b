package io.overlaynet;

import io.overlaynet.store.Store;

/**
 * The lease authority of one overlay network (flannel's {@code subnet.Manager}): reads the network
 * config, hands this node a subnet, keeps it renewed and tells it about every other node's lease.
 *
 * <p>The default implementation, {@link #overStore}, is flannel's etcd lease model over any
 * {@link Store}: config at {@code <prefix>/config}, leases at {@code <prefix>/subnets/<key>} with a
 * 24 h TTL, re-found by public IP, allocation guarded by compare-and-swap. An orchestrator that
 * owns its own inventory may implement this interface instead.
 *
 * <pre>{@code
 * SubnetManager sm = SubnetManager.overStore(store, SubnetManagerOptions.DEFAULT);
 * NetworkConfig config = sm.networkConfig();
 * Lease lease = sm.acquireLease(LeaseAttrs.of(Ip4.parse("192.0.2.11")));
 * try (LeaseWatch w = sm.watchLeases(listener);
 *      LeaseWatch k = sm.keepLease(lease, keeperListener)) {
 *   ...
 * }
 * }</pre>
 */
public interface SubnetManager extends AutoCloseable {

  /** Returns the default implementation over {@code store}. */
  static SubnetManager overStore(Store store, SubnetManagerOptions options) {
    return new LocalSubnetManager(store, options);
  }

  /**
   * Reads and validates the network config (again on every call, as flannel does).
   *
   * @throws NetworkConfigException if it is missing or invalid
   * @throws io.overlaynet.store.StoreException if the store cannot answer
   */
  NetworkConfig networkConfig();

  /**
   * Acquires this node's lease: its existing lease (found by public IP) if compatible, else the
   * previous subnet from the options if nobody holds it, else a random free subnet. A lost
   * allocation race is retried with another subnet.
   *
   * @throws LeaseException if no free subnet is left
   * @throws NetworkConfigException if the config is missing or invalid
   * @throws io.overlaynet.store.StoreException if the store cannot answer
   */
  Lease acquireLease(LeaseAttrs attrs);

  /**
   * Renews {@code lease}: writes it again with a fresh TTL.
   *
   * @return the lease with its new expiration
   * @throws io.overlaynet.store.StoreException if the store cannot answer
   */
  Lease renewLease(Lease lease);

  /**
   * Watches every lease of the network: a snapshot, then every change. After a store compaction,
   * or a watch the store ended, the manager re-lists and delivers a new snapshot (retrying with
   * back-off while the store is unreachable), so no change is missed and the listener can
   * reconcile.
   *
   * @throws io.overlaynet.store.StoreException if the first listing fails
   */
  LeaseWatch watchLeases(LeaseListener listener);

  /**
   * Keeps {@code lease} alive (flannel's {@code CompleteLease}, made robust): renews it the renew
   * margin before it expires, retries failed renewals with back-off until the store answers, and
   * watches the lease's key. A key deleted or expired (say, while the node was cut off from the
   * store) is created again with the same subnet; a key overwritten with this node's public IP is
   * written back; only a subnet that another node holds meanwhile is reported as lost.
   */
  LeaseWatch keepLease(Lease lease, LeaseKeeperListener listener);

  /** Stops every watch and keeper this manager started; does not close the store. */
  @Override
  void close();

  /** A running watch or keeper; closing it stops it promptly. */
  interface LeaseWatch extends AutoCloseable {
    /** Stops; no callback starts after this returns. Idempotent. */
    @Override
    void close();
  }
}
