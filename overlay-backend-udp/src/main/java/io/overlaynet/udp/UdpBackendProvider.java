package io.overlaynet.udp;

import io.overlaynet.Backend;
import io.overlaynet.BackendProvider;

/**
 * Registers the {@code udp} backend with {@link java.util.ServiceLoader} (listed in
 * {@code META-INF/services/io.overlaynet.BackendProvider}), so {@code Backend.byType("udp")}
 * finds it when this jar is on the class path.
 */
public final class UdpBackendProvider implements BackendProvider {

  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public UdpBackendProvider() {}

  @Override
  public String type() {
    return UdpBackend.TYPE;
  }

  @Override
  public Backend create() {
    return UdpBackend.create();
  }
}
