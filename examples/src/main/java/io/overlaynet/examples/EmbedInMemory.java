package io.overlaynet.examples;

import io.overlaynet.Lease;
import io.overlaynet.NetworkConfig;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentListener;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * Embedding example: an orchestrator that is itself the source of truth runs one agent per node
 * in-process over the embedded {@link InMemoryStore}; no etcd is involved.
 *
 * <pre>{@code
 * InMemoryStore store = EmbedInMemory.newNetwork("10.5.0.0/16", "vxlan");
 * Agent node1 = EmbedInMemory.startAgent(store, "eth0", Thread::new);
 * System.out.println(node1.lease().orElseThrow().subnet());
 * }</pre>
 */
public final class EmbedInMemory {

  private EmbedInMemory() {}

  /**
   * Creates a store holding the network config, as {@code etcdctl put .../config} would.
   *
   * @throws io.overlaynet.NetworkConfigException with flannel's message if the config is invalid
   * @throws IllegalArgumentException if {@code cidr} is not an IPv4 CIDR
   */
  public static InMemoryStore newNetwork(String cidr, String backend) {
    NetworkConfig config = NetworkConfig.builder().withNetwork(Ip4Net.parse(cidr)).withBackend(backend).build();
    InMemoryStore store = InMemoryStore.create();
    store.put("/coreos.com/network/config", config.toJson(), Store.NO_TTL);
    return store;
  }

  /**
   * Starts this node's agent on {@code iface}; {@code threads} decides where it runs (for a node
   * that is a network namespace, {@code NetNs.threadFactory()}).
   */
  public static Agent startAgent(InMemoryStore store, String iface, ThreadFactory threads) {
    Agent agent = Agent.builder()
        .store(store, "/coreos.com/network")
        .options(AgentOptions.DEFAULT.withInterfaces(List.of(iface)).withoutSubnetFile().withForwardRules(false))
        .threadFactory(threads)
        .listener(new AgentListener() {
          @Override
          public void onPeerAdded(Lease peer) {
            System.out.println("peer " + peer.subnet() + " via " + peer.attrs().publicIp());
          }
        })
        .build();
    agent.start();
    return agent;
  }
}
