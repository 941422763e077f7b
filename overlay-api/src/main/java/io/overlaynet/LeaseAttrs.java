package io.overlaynet;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node publishes with its lease (flannel's {@code lease.LeaseAttrs}): where to reach it and
 * what its backend needs to know.
 *
 * <p>Backend data is kept as compact JSON text, exactly as it travels in the store, so a backend
 * decodes only its own format and no JSON library type leaks into the API.
 *
 * <pre>{@code
 * LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.0.2.11"))
 *     .withBackend("vxlan", "{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}");
 * }</pre>
 *
 * @param publicIp the node's public IPv4 address ({@code 0.0.0.0} when unset)
 * @param publicIpv6 the node's public IPv6 address, if any
 * @param backendType the backend type name, e.g. {@code vxlan}; empty for udp, as flannel writes it
 * @param backendData the backend's JSON object for IPv4, if any
 * @param backendV6Data the backend's JSON object for IPv6, if any
 */
public record LeaseAttrs(
    Ip4 publicIp,
    Optional<Ip6> publicIpv6,
    String backendType,
    Optional<String> backendData,
    Optional<String> backendV6Data) {

  /** Checks the components. */
  public LeaseAttrs {
    Objects.requireNonNull(publicIp, "publicIp");
    Objects.requireNonNull(publicIpv6, "publicIpv6");
    Objects.requireNonNull(backendType, "backendType");
    Objects.requireNonNull(backendData, "backendData");
    Objects.requireNonNull(backendV6Data, "backendV6Data");
    checkArgument(backendData.map(s -> !s.isBlank()).orElse(true), "blank backend data");
  }

  /** Returns attributes with only a public IPv4 address (what the udp backend publishes). */
  public static LeaseAttrs of(Ip4 publicIp) {
    return new LeaseAttrs(publicIp, Optional.empty(), "", Optional.empty(), Optional.empty());
  }

  /** Returns a copy with this backend type and IPv4 backend data ({@code null} for none). */
  public LeaseAttrs withBackend(String type, String dataJson) {
    return new LeaseAttrs(publicIp, publicIpv6, type, Optional.ofNullable(dataJson), backendV6Data);
  }

  /** Returns a copy with this public IPv6 address. */
  public LeaseAttrs withPublicIpv6(Ip6 ip) {
    return new LeaseAttrs(publicIp, Optional.of(ip), backendType, backendData, backendV6Data);
  }

  /** Returns a copy with this IPv6 backend data. */
  public LeaseAttrs withBackendV6Data(String dataJson) {
    return new LeaseAttrs(publicIp, publicIpv6, backendType, backendData, Optional.ofNullable(dataJson));
  }
}
