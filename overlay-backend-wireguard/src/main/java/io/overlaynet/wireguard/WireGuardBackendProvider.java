package io.overlaynet.wireguard;

import io.overlaynet.Backend;
import io.overlaynet.BackendProvider;

/**
 * Registers the {@code wireguard} backend with {@link java.util.ServiceLoader}, so
 * {@code Backend.byType("wireguard")} finds it when this jar is on the class or module path.
 */
public final class WireGuardBackendProvider implements BackendProvider {

  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public WireGuardBackendProvider() {}

  @Override
  public String type() {
    return WireGuardBackend.TYPE;
  }

  @Override
  public Backend create() {
    return WireGuardBackend.create();
  }
}
