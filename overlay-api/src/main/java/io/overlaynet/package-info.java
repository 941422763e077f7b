/**
 * overlaynet's public API: the lease model, the network config, and the three contracts
 * {@link io.overlaynet.store.Store}, {@link io.overlaynet.SubnetManager} and
 * {@link io.overlaynet.Backend} / {@link io.overlaynet.Network}.
 *
 * <p>Wire formats (subnet keys, lease JSON, {@code subnet.env}) match flanneld's byte for byte,
 * so nodes running this library and nodes running flanneld share one etcd and one overlay.
 */
package io.overlaynet;
