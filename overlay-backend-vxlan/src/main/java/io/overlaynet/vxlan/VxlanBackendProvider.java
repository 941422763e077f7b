package io.overlaynet.vxlan;

import io.overlaynet.Backend;
import io.overlaynet.BackendProvider;

/**
 * The {@link java.util.ServiceLoader} entry of the vxlan backend (listed in
 * {@code META-INF/services/io.overlaynet.BackendProvider}); internal usage only.
 *
 * <pre>{@code
 * Backend vxlan = Backend.byType("vxlan").orElseThrow();
 * }</pre>
 */
public final class VxlanBackendProvider implements BackendProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public VxlanBackendProvider() {}

  /** Returns {@code vxlan}. */
  @Override
  public String type() {
    return VxlanBackend.TYPE;
  }

  /** Returns a vxlan backend with default options. */
  @Override
  public Backend create() {
    return VxlanBackend.create();
  }
}
