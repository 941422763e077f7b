package io.overlaynet.examples;

import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.etcd.EtcdStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * Embedding example: an agent in-process against a shared etcd, interchangeable with flanneld
 * nodes on the same prefix. The caller closes the agent, then the store.
 *
 * <pre>{@code
 * try (EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints("http://10.0.0.1:2379"));
 *      Agent agent = EmbedEtcd.startAgent(store, "eth0", Path.of("/run/flannel/subnet.env"), Thread::new)) {
 *   agent.stopped().join();
 * }
 * }</pre>
 */
public final class EmbedEtcd {

  private EmbedEtcd() {}

  /** Connects to etcd as {@code --etcd-endpoints} would (no request is sent yet). */
  public static EtcdStore connect(String endpoints) {
    return EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(endpoints));
  }

  /** Starts an agent on {@code iface} that writes {@code subnetFile} as flanneld does. */
  public static Agent startAgent(EtcdStore store, String iface, Path subnetFile, ThreadFactory threads) {
    Agent agent = Agent.builder()
        .store(store, store.options().keyPrefix())
        .options(AgentOptions.DEFAULT.withInterfaces(List.of(iface)).withSubnetFile(subnetFile).withForwardRules(false))
        .threadFactory(threads)
        .build();
    agent.start();
    return agent;
  }
}
