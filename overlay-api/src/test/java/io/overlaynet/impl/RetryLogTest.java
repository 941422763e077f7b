package io.overlaynet.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.store.StoreUnavailableException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class RetryLogTest {

  /** A Logger that records the level of every call. */
  static Logger recording(List<String> lines) {
    return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
        (proxy, method, args) -> {
          if (List.of("warn", "info", "debug", "error").contains(method.getName())) {
            lines.add(method.getName() + " " + args[0]);
          }
          return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
  }

  @Test
  void aThousandFailuresOfOneKindWarnOnceAndTheRecoveryOnce() {
    List<String> lines = new CopyOnWriteArrayList<>();
    RetryLog log = new RetryLog(recording(lines), "Fetching the network config");
    assertTrue(log.failed(new StoreUnavailableException("get: no answer from http://10.0.0.1:2379 within 3000 ms"), 100));
    for (int i = 0; i < 999; i++) {
      // Different numbers, same kind.
      assertFalse(log.failed(new StoreUnavailableException("get: no answer from http://10.0.0.1:2379 within "
          + (3000 + i) + " ms"), 200));
    }
    log.recovered();
    assertEquals(1, lines.stream().filter(l -> l.startsWith("warn")).count(), lines.toString());
    assertEquals(1, lines.stream().filter(l -> l.startsWith("info")).count());
  }

  @Test
  void aNewKindOfFailureWarnsAgain() {
    List<String> lines = new CopyOnWriteArrayList<>();
    RetryLog log = new RetryLog(recording(lines), "Fetching the network config");
    log.failed(new StoreUnavailableException("etcd unavailable"), 100);
    assertTrue(log.failed(new IllegalStateException("flannel config not found"), 100));
    assertEquals(2, lines.stream().filter(l -> l.startsWith("warn")).count());
  }

  @Test
  void kindsThatAlternateWarnOnceEach() {
    List<String> lines = new CopyOnWriteArrayList<>();
    RetryLog log = new RetryLog(recording(lines), "Renewing the lease");
    for (int i = 0; i < 100; i++) {
      // Two endpoints failing differently, in turn.
      log.failed(new StoreUnavailableException("etcd unavailable: http://10.0.0.1:2379: Connection refused"), 100);
      log.failed(new StoreUnavailableException("no answer from http://10.0.0.2:2379 within 3000 ms"), 100);
    }
    assertEquals(2, lines.stream().filter(l -> l.startsWith("warn")).count(), lines.toString());
    log.recovered();
    log.failed(new StoreUnavailableException("etcd unavailable: http://10.0.0.1:2379: Connection refused"), 100);
    assertEquals(3, lines.stream().filter(l -> l.startsWith("warn")).count(), "a new outage warns again");
  }
}
