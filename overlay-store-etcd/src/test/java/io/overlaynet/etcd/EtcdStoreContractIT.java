package io.overlaynet.etcd;

import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.store.Store;
import io.overlaynet.testing.StoreContractTest;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store contract from overlay-api, against a real etcd. */
class EtcdStoreContractIT extends StoreContractTest {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  /** The transport under test; {@code EtcdStoreContractGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  @Override
  protected Store newStore() {
    return EtcdStore.connect(options());
  }

  @Override
  protected void compact(long revision) {
    ETCD.server().compact(revision);
  }

  /**
   * etcd rounds a lease TTL up to its minimum (1.5 × election timeout = 1.5 s with the defaults,
   * granted as 2 s) and checks expiry every 500 ms.
   */
  @Override
  protected Duration shortTtl() {
    return Duration.ofSeconds(2);
  }
}
