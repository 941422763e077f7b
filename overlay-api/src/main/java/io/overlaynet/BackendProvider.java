package io.overlaynet;

/**
 * The {@link java.util.ServiceLoader} entry point of a backend module: listed in
 * {@code META-INF/services/io.overlaynet.BackendProvider}.
 */
public interface BackendProvider {

  /** Returns the flannel type name this provider serves, e.g. {@code host-gw}. */
  String type();

  /** Returns a new backend instance. */
  Backend create();
}
