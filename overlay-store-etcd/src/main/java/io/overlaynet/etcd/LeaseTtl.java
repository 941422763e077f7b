package io.overlaynet.etcd;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;

/** etcd leases count whole seconds; both transports round a TTL the same way. Internal. */
final class LeaseTtl {

  private LeaseTtl() {}

  /** Rounds a TTL up to whole seconds, as etcd leases count seconds; 0 means no TTL. */
  static long seconds(Duration ttl) {
    checkArgument(!ttl.isNegative(), "negative TTL: %s", ttl);
    long seconds = ttl.getSeconds();
    return ttl.getNano() > 0 ? seconds + 1 : seconds;
  }
}
