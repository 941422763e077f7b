package io.overlaynet.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.overlaynet.testing.StoreContractTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The store contract against {@link InMemoryStore}, plus its own test hooks. */
class InMemoryStoreTest extends StoreContractTest {

  @Override
  protected Store newStore() {
    return InMemoryStore.create();
  }

  @Override
  protected void compact(long revision) {
    ((InMemoryStore) store).compact(revision);
  }

  @Test
  void putAllWritesOneRevisionDeliveredInOneBatch() throws Exception {
    InMemoryStore mem = (InMemoryStore) store;
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, mem.revision() + 1, rec)) {
      long rev = mem.putAll(Map.of(prefix + "a", "1", prefix + "b", "2", prefix + "c", "3"), Store.NO_TTL);
      rec.awaitCount(3);
      assertEquals(1, rec.batches().size());
      rec.events().forEach(e -> assertEquals(rev, e.revision()));
      mem.deleteAll(List.of(prefix + "a", prefix + "b", prefix + "c"));
      rec.awaitCount(6);
    }
  }

  @Test
  void pausedWatchThatFallsBehindACompactionIsToldSo() throws Exception {
    InMemoryStore mem = (InMemoryStore) store;
    Recorder rec = new Recorder();
    try (Store.Watch w = store.watch(prefix, mem.revision() + 1, rec)) {
      mem.put(prefix + "a", "1", Store.NO_TTL);
      rec.awaitCount(1);
      mem.pauseWatches();
      mem.put(prefix + "b", "2", Store.NO_TTL);
      long r = mem.put(prefix + "c", "3", Store.NO_TTL);
      mem.compact(r);
      mem.resumeWatches();
      assertEquals(r, rec.awaitCompacted());
      assertEquals(1, rec.events().size(), "no event of the lost history may be delivered");
    }
  }

  @Test
  void compactingPastTheCurrentRevisionIsRefused() {
    InMemoryStore mem = (InMemoryStore) store;
    long r = mem.put(prefix + "a", "1", Store.NO_TTL);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mem.compact(r + 1));
    assertEquals("cannot compact at " + (r + 1) + ", past the current revision " + r, e.getMessage());
  }

  @Test
  void closedStoreRefusesCalls() {
    store.close();
    StoreException e = assertThrows(StoreException.class, () -> store.get("/x"));
    assertEquals("the in-memory store is closed", e.getMessage());
  }
}
