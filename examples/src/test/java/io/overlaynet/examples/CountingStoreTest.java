package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.StoreContractTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A store of your own passes the contract suite every store passes; and this one counts. */
class CountingStoreTest extends StoreContractTest {

  private InMemoryStore inner;

  @Override
  protected Store newStore() {
    inner = InMemoryStore.create();
    return CountingStore.over(inner);
  }

  @Override
  protected void compact(long revision) {
    inner.compact(revision);
  }

  @Test
  void countsEveryCallAndEvent() throws Exception {
    CountingStore counting = (CountingStore) store;
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, inner.revision() + 1, rec)) {
      store.create(prefix + "a", "1", Store.NO_TTL);
      store.create(prefix + "a", "1", Store.NO_TTL);
      store.put(prefix + "b", "2", Store.NO_TTL);
      store.get(prefix + "a");
      rec.awaitCount(2);
    }
    Map<String, Long> c = counting.counts();
    assertEquals(2L, c.get("create"));
    assertEquals(1L, c.get("put"));
    assertEquals(1L, c.get("get"));
    assertEquals(1L, c.get("watch"));
    assertEquals(2L, c.get("watch-events"));
  }
}
