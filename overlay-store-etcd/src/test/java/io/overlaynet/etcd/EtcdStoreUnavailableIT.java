package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A dead or silent etcd makes every call fail with StoreUnavailableException in time, never hang. */
class EtcdStoreUnavailableIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  /** The transport under test; {@code EtcdStoreUnavailableGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  /** The brief's bound: the call returns within the request timeout + 2 s. */
  private static final Duration BOUND = TIMEOUT.plusSeconds(2);

  private static final Map<String, Consumer<Store>> CALLS = Map.of(
      "get", s -> s.get("/coreos.com/network/config"),
      "list", s -> s.list("/coreos.com/network/subnets/"),
      "create", s -> s.create("/coreos.com/network/subnets/10.5.1.0-24", "{}", Duration.ofHours(24)),
      "put", s -> s.put("/coreos.com/network/subnets/10.5.1.0-24", "{}", Duration.ofHours(24)),
      "delete", s -> s.delete("/coreos.com/network/subnets/10.5.1.0-24"));

  @Test
  void nothingListeningFailsEveryCallAsUnavailableInTime() throws Exception {
    int port = freePort();
    String endpoint = "http://127.0.0.1:" + port;
    try (EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withTransport(transport()).withEndpoints(endpoint).withRequestTimeout(TIMEOUT))) {
      for (var call : CALLS.entrySet()) {
        StoreUnavailableException e = assertUnavailableInTime(store, call.getValue());
        assertTrue(e.getMessage().contains(call.getKey()) && e.getMessage().contains(endpoint)
            && e.getMessage().contains("/coreos.com/network/"), "message names op, key, endpoint: " + e.getMessage());
      }
    }
  }

  @Test
  void aServerThatNeverAnswersFailsEveryCallAsUnavailableInTime() throws Exception {
    // Accepts TCP connections and then says nothing: the HTTP/2 handshake never completes.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept());
          }
        } catch (IOException e) {
          // closed
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      String endpoint = "http://127.0.0.1:" + silent.getLocalPort();
      try (EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withTransport(transport()).withEndpoints(endpoint)
          .withRequestTimeout(TIMEOUT).withConnectTimeout(Duration.ofMillis(500)))) {
        for (var call : CALLS.values()) {
          assertUnavailableInTime(store, call);
        }
      }
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void aStoppedEtcdFailsCallsAndTheSameStoreWorksAgainWhenItIsBack() throws Exception {
    try (EtcdStore store = EtcdStore.connect(options().withRequestTimeout(TIMEOUT))) {
      store.put("/unavailable/a", "1", Store.NO_TTL);
      ETCD.server().stop();
      try {
        for (var call : CALLS.values()) {
          assertUnavailableInTime(store, call);
        }
      } finally {
        ETCD.server().start();
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (true) {
        try {
          assertEquals("1", store.get("/unavailable/a").orElseThrow().value());
          break;
        } catch (StoreUnavailableException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
    }
  }

  @Test
  void aDeadEndpointAmongSeveralIsTolerated() throws Exception {
    // flanneld is usually given every member; one of them being down must not matter.
    String endpoints = "http://127.0.0.1:" + freePort() + ",http://localhost:" + ETCD.server().clientPort();
    try (EtcdStore store = EtcdStore.connect(options().withEndpoints(endpoints))) {
      for (int i = 0; i < 20; i++) {
        store.put("/unavailable/multi", Integer.toString(i), Store.NO_TTL);
        assertEquals(Integer.toString(i), store.get("/unavailable/multi").orElseThrow().value());
      }
    }
  }

  @Test
  void closingTheStoreReleasesACallInProgressPromptly() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withTransport(transport())
          .withEndpoints("http://127.0.0.1:" + silent.getLocalPort())
          .withRequestTimeout(Duration.ofSeconds(30)));
      CompletableFuture<Throwable> call = CompletableFuture.supplyAsync(() -> {
        try {
          store.get("/x");
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      Thread.sleep(300);
      long start = System.nanoTime();
      store.close();
      Throwable failure = call.get(5, TimeUnit.SECONDS);
      assertTrue(failure instanceof StoreException, "closed store: " + failure);
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(3)) < 0);
      assertThrows(StoreException.class, () -> store.get("/x"), "calls after close fail");
    }
  }

  private static StoreUnavailableException assertUnavailableInTime(Store store, Consumer<Store> call) {
    long start = System.nanoTime();
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> call.accept(store));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(BOUND) < 0, "took " + took + " (bound " + BOUND + "): " + e.getMessage());
    return e;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
