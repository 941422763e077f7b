package io.overlaynet.etcd;

import io.overlaynet.store.Store;
import io.overlaynet.store.StoreException;

/**
 * A {@link Store} on etcd v3, interchangeable with flanneld (v0.20+) on the same etcd: same keys,
 * byte-identical values, one etcd lease per key with a TTL, create-if-absent as a transaction on
 * {@code version == 0}.
 *
 * <pre>{@code
 * EtcdOptions options = EtcdOptions.DEFAULT.withEndpoints("http://10.0.0.1:2379");
 * try (EtcdStore store = EtcdStore.connect(options)) {
 *   String subnets = options.keyPrefix() + "/subnets/";
 *   Listing all = store.list(subnets);
 *   store.create(subnets + "10.5.2.0-24", leaseJson, Duration.ofHours(24));  // empty if taken
 *   Store.Watch w = store.watch(subnets, all.revision() + 1, listener);
 * }
 * }</pre>
 *
 * <p>{@link EtcdOptions#transport()} chooses how requests travel: etcd's v3 JSON gateway over
 * HTTP/1.1 (the default; etcd 3.4 or later) or gRPC through jetcd (jetcd-core must then be on the
 * class path; see {@link #connect}). The semantics below hold for both.
 *
 * <h2>Semantics on etcd</h2>
 *
 * <ul>
 *   <li>Keys are full keys: the store adds no prefix ({@link EtcdOptions#keyPrefix()} is for the
 *       caller). Keys and values are UTF-8; bytes that are not valid UTF-8 (a foreign writer) are
 *       read with U+FFFD replacement characters instead of failing the whole read.
 *   <li>{@code create(key, value, ttl)}: grant an etcd lease of {@code ttl} (whole seconds, rounded
 *       up), then {@code Txn(If version(key) == 0, Then put(key, value, lease))}; if the key already
 *       existed the lease is revoked and the result is empty.
 *   <li>{@code put(key, value, ttl)}: grant a fresh lease and put the key with it, exactly as
 *       flanneld renews a subnet; the key's previous etcd lease is left to expire, as flanneld
 *       leaves it. No keep-alive is ever used.
 *   <li>{@link Store#NO_TTL} writes the key without an etcd lease.
 *   <li>Every call waits at most {@link EtcdOptions#requestTimeout()}; an etcd that cannot be
 *       reached fails the call with {@link io.overlaynet.store.StoreUnavailableException} naming
 *       the operation, key and endpoints. {@link #connect} itself does not contact etcd, so an agent
 *       can start while etcd is down.
 *   <li>Watches are supervised: after a disconnect they resume from the last delivered revision + 1
 *       (back-off 100 ms doubling to 5 s) with {@code require-leader}, so no event is lost or
 *       repeated; every event of an etcd watch response (e.g. three keys of one transaction, or all
 *       keys of one revoked lease) arrives in one {@code onEvents} call. When etcd reports the
 *       requested revision compacted, {@code onCompacted} is called once and the watch ends.
 * </ul>
 */
public interface EtcdStore extends Store {

  /**
   * Creates a store for the given options. No request is sent yet: the first call connects.
   *
   * <p>{@link EtcdOptions.Transport#GRPC} needs {@code io.etcd:jetcd-core} on the class path: it
   * is an optional dependency of this module, so an application that uses gRPC declares it
   * itself. The default HTTP transport never loads a jetcd, gRPC or netty class.
   *
   * @throws IllegalArgumentException if a TLS file cannot be read or parsed
   * @throws StoreException if the client cannot be created, e.g. the gRPC transport without
   *     jetcd-core on the class path (the message names the dependency to add)
   */
  static EtcdStore connect(EtcdOptions options) {
    return switch (options.transport()) {
      case HTTP -> GatewayStore.create(options);
      case GRPC -> Jetcd.connect(options);
    };
  }

  /** Returns the options this store was created with. */
  EtcdOptions options();
}
