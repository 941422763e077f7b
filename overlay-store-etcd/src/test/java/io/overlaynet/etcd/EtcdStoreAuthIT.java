package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.etcd.testing.WatchRecorder;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** etcd with {@code auth enable}: flanneld's --etcd-username / --etcd-password. */
@SuppressWarnings("try") // try-with-resources for watches that are only closed
class EtcdStoreAuthIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  /** The transport under test; {@code EtcdStoreAuthGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  private static final String PASSWORD = "s3cret-overlay";

  @BeforeAll
  static void enableAuth() {
    ETCD.server().enableAuth(PASSWORD);
  }

  @Test
  void theRightCredentialsReadWriteCreateAndWatch() throws Exception {
    assertTrue(ETCD.options().username().isPresent());
    try (EtcdStore store = EtcdStore.connect(options())) {
      String prefix = "/auth-" + System.nanoTime() + "/";
      long rev = store.list(prefix).revision();
      WatchRecorder rec = new WatchRecorder();
      try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
        assertTrue(store.create(prefix + "a", "1", Duration.ofHours(24)).isPresent());
        assertEquals(Optional.empty(), store.create(prefix + "a", "2", Duration.ofHours(24)));
        rec.awaitCount(1, Duration.ofSeconds(10));
      }
      assertEquals("1", store.get(prefix + "a").orElseThrow().value());
    }
  }

  @Test
  void aWrongPasswordIsAnErrorThatSaysSoNotAnOutage() {
    EtcdOptions wrong = options().withCredentials("root", "wrong");
    try (EtcdStore store = EtcdStore.connect(wrong)) {
      StoreException e = assertThrows(StoreException.class, () -> store.get("/auth/x"));
      assertFalse(e instanceof StoreUnavailableException, "not retryable: " + e);
      assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
    }
  }

  @Test
  void noCredentialsAreRefused() {
    EtcdOptions none = EtcdOptions.DEFAULT.withTransport(transport()).withEndpoints(ETCD.endpoint())
        .withRequestTimeout(Duration.ofSeconds(3));
    try (EtcdStore store = EtcdStore.connect(none)) {
      StoreException e = assertThrows(StoreException.class, () -> store.put("/auth/x", "v", Store.NO_TTL));
      assertFalse(e instanceof StoreUnavailableException, "not retryable: " + e);
    }
  }

  @Test
  void afterAnEtcdRestartKilledTheTokenCallsAndTheWatchCarryOn() throws Exception {
    // etcd's "simple" auth tokens live in its memory: a restart makes every issued token invalid.
    try (EtcdStore store = EtcdStore.connect(options().withRequestTimeout(Duration.ofSeconds(10)))) {
      String prefix = "/auth-restart-" + System.nanoTime() + "/";
      long rev = store.list(prefix).revision();
      WatchRecorder rec = new WatchRecorder();
      try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
        store.put(prefix + "a", "1", Store.NO_TTL);
        rec.awaitCount(1, Duration.ofSeconds(10));
        ETCD.server().stop();
        ETCD.server().start();
        // Written by another client, so that the watch must renew the token on its own.
        try (EtcdStore other = EtcdStore.connect(options())) {
          other.put(prefix + "b", "2", Store.NO_TTL);
        }
        rec.awaitCount(2, Duration.ofSeconds(20));
        assertEquals("2", store.get(prefix + "b").orElseThrow().value());
        assertEquals(List.of(prefix + "a", prefix + "b"), rec.events().stream().map(StoreEvent::key).toList());
        assertEquals(List.of(), rec.errors());
      }
    }
  }

  @Test
  void passwordNeverAppearsInOptionsToString() {
    assertFalse(ETCD.options().toString().contains(PASSWORD));
  }
}
