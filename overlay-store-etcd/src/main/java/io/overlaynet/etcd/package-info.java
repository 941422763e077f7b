/**
 * The etcd v3 {@link io.overlaynet.store.Store}, interchangeable with flanneld on the same etcd.
 * Public API: {@link io.overlaynet.etcd.EtcdStore} and {@link io.overlaynet.etcd.EtcdOptions};
 * every other class here is package-private, and no jetcd, gRPC or netty type appears in a public
 * signature.
 */
package io.overlaynet.etcd;
