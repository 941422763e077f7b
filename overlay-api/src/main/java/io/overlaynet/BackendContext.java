package io.overlaynet;

import java.util.Objects;

/**
 * What a {@link Backend} needs to register: the subnet manager to acquire the lease from, the
 * validated network config and the external interface.
 *
 * @param subnetManager acquires the lease with the backend's attributes
 * @param config the network config; the backend reads its own options from {@link NetworkConfig#backend()}
 * @param externalInterface the interface that carries the overlay
 */
public record BackendContext(SubnetManager subnetManager, NetworkConfig config, ExternalInterface externalInterface) {

  /** Checks the components. */
  public BackendContext {
    Objects.requireNonNull(subnetManager, "subnetManager");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(externalInterface, "externalInterface");
  }
}
