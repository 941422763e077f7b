package io.overlaynet.hostgw;

import io.overlaynet.Backend;
import io.overlaynet.BackendProvider;

/**
 * The {@link java.util.ServiceLoader} entry of the host-gw backend (listed in
 * {@code META-INF/services/io.overlaynet.BackendProvider}); internal usage only.
 *
 * <pre>{@code
 * Backend hostGw = Backend.byType("host-gw").orElseThrow();
 * }</pre>
 */
public final class HostGwBackendProvider implements BackendProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public HostGwBackendProvider() {}

  /** Returns {@code host-gw}. */
  @Override
  public String type() {
    return HostGwBackend.TYPE;
  }

  /** Returns a host-gw backend with default options. */
  @Override
  public Backend create() {
    return HostGwBackend.create();
  }
}
