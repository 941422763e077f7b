package io.overlaynet;

import java.util.Objects;

/**
 * What a {@link Backend} needs to register: the subnet manager to acquire the lease from, the
 * validated network config and the external interface.
 *
 * @param subnetManager acquires the lease with the backend's attributes
 * @param config the network config; the backend reads its own options from {@link NetworkConfig#backend()}
 * @param externalInterface the interface that carries the overlay
 * @param reconcileListener hears the network's repairs of its data plane (the agent's metrics and
 *     state); {@link ReconcileListener#NONE} outside an agent
 */
public record BackendContext(SubnetManager subnetManager, NetworkConfig config, ExternalInterface externalInterface,
    ReconcileListener reconcileListener) {

  /** Checks the components. */
  public BackendContext {
    Objects.requireNonNull(subnetManager, "subnetManager");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(externalInterface, "externalInterface");
    Objects.requireNonNull(reconcileListener, "reconcileListener");
  }

  /** Creates a context whose repairs nobody hears. */
  public BackendContext(SubnetManager subnetManager, NetworkConfig config, ExternalInterface externalInterface) {
    this(subnetManager, config, externalInterface, ReconcileListener.NONE);
  }
}
