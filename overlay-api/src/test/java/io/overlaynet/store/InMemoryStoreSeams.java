package io.overlaynet.store;

/**
 * Test-jar access to {@link InMemoryStore}'s package-private fault seams, so that tests in other
 * packages and modules can hold back watch delivery without the seam being public API.
 */
public final class InMemoryStoreSeams {

  private InMemoryStoreSeams() {}

  /**
   * Holds back all watch delivery of {@code store}, as a partition between watchers and etcd does;
   * writes go on.
   */
  public static void pauseWatches(InMemoryStore store) {
    store.pauseWatches();
  }

  /** Lets the watches of {@code store} catch up (or report compaction) after {@link #pauseWatches}. */
  public static void resumeWatches(InMemoryStore store) {
    store.resumeWatches();
  }
}
