package io.overlaynet.agent;

import io.overlaynet.ip.IpAddress;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * What the agent needs to know about the host's interfaces and routes to choose the external
 * interface, in the network namespace of the calling thread.
 *
 * <p>{@link #system()} returns the netlink implementation from {@code overlay-netlink} when that
 * jar is present (found with {@link ServiceLoader}), else a JDK-based fallback.
 */
public interface HostNetwork {

  /** Lists the interfaces with their addresses. */
  List<HostInterface> interfaces();

  /** Returns the index of the interface of the first IPv4 default route, if any. */
  Optional<Integer> defaultRouteInterface();

  /**
   * Returns the index of the interface of the first IPv6 default route, if any; used when the
   * network is IPv6-only. Implementations that cannot tell return empty (the default).
   */
  default Optional<Integer> defaultIpv6RouteInterface() {
    return Optional.empty();
  }

  /** Returns the index of the interface the kernel would use to reach {@code destination}. */
  Optional<Integer> routeInterfaceTo(IpAddress destination);

  /** Returns the best implementation available on the class path. */
  static HostNetwork system() {
    for (HostNetwork n : ServiceLoader.load(HostNetwork.class)) {
      return n;
    }
    return new JdkHostNetwork();
  }
}
