package io.overlaynet.etcd;

/** A store with supervised watches; lets tests reach them (e.g. to simulate a partition). Internal. */
interface HasWatches {

  /** Returns the store's live watches. */
  Watches watches();
}
