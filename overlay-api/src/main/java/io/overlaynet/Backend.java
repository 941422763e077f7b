package io.overlaynet;

import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A data plane: how packets between nodes' subnets travel (flannel's {@code backend.Backend}).
 *
 * <p>Backends are found with {@link ServiceLoader} through {@link BackendProvider}, by flannel type
 * name ({@code vxlan}, {@code host-gw}, {@code udp}), so adding a jar adds a backend.
 *
 * <pre>{@code
 * Backend backend = Backend.byType("vxlan").orElseThrow();
 * try (Network net = backend.register(new BackendContext(sm, config, extIface))) {
 *   sm.watchLeases(net);   // the agent runtime filters out the node's own lease
 * }
 * }</pre>
 */
public interface Backend {

  /** Returns the flannel type name, e.g. {@code vxlan}. */
  String type();

  /**
   * Sets up the node's side of the overlay (device, sockets) and acquires its lease with the
   * backend's attributes. Kernel state is written idempotently, so registering again after a
   * restart reuses what is there.
   *
   * @throws BackendException if the data plane cannot be set up; the message says what failed
   * @throws NetworkConfigException if the backend's part of the network config is invalid
   * @throws OverlayException what the subnet manager throws when acquiring the lease (a
   *     {@link io.overlaynet.store.StoreException}, a {@link LeaseException})
   */
  Network register(BackendContext context);

  /** Returns the backend registered under {@code type} (case-insensitive), if its jar is present. */
  static Optional<Backend> byType(String type) {
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      if (p.type().equalsIgnoreCase(type)) {
        return Optional.of(p.create());
      }
    }
    return Optional.empty();
  }
}
