package io.overlaynet.etcd;

/** Test hooks that both etcd stores offer, to simulate a partition of their watches. Internal. */
interface WatchTestHooks {

  /** Disconnects every live watch of the store until {@link #resumeWatchesForTest}. */
  void suspendWatchesForTest();

  /** Lets every suspended watch resume from its last delivered revision + 1. */
  void resumeWatchesForTest();
}
