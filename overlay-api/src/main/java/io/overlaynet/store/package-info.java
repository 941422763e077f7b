/**
 * The narrow key-value {@link io.overlaynet.store.Store} SPI the subnet manager runs on, and the
 * in-memory implementation used when embedding without etcd.
 */
package io.overlaynet.store;
