/**
 * overlaynet's API: the types (addresses, network config, leases), the {@code Store},
 * {@code SubnetManager} and {@code Backend} contracts, the in-memory store, ip-masq rules and the
 * agent runtime. Every embedder takes this module.
 *
 * <p>{@code io.overlaynet.impl} holds helpers shared by overlaynet's own modules (worker loop,
 * back-off, retry logging) and is exported to those modules only.
 */
module io.overlaynet.api {
  requires com.google.common;
  requires com.google.gson;
  requires org.slf4j;

  exports io.overlaynet;
  exports io.overlaynet.agent;
  exports io.overlaynet.ip;
  exports io.overlaynet.store;
  exports io.overlaynet.traffic;
  exports io.overlaynet.impl to
      io.overlaynet.udp,
      io.overlaynet.vxlan,
      io.overlaynet.hostgw,
      io.overlaynet.etcd;

  uses io.overlaynet.BackendProvider;
  uses io.overlaynet.agent.HostNetwork;
}
