package io.overlaynet.examples;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.BackendProvider;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedding example: a {@link Backend} of your own, found by {@link java.util.ServiceLoader} under
 * its type name. This one, type {@code external}, programs nothing: it is for an orchestrator that
 * runs its own data plane (eBPF, a router, a cloud route table) and wants only flannel's lease
 * model and the stream of peers. The agent does the rest (config, lease, renewal, re-lists).
 *
 * <p>To make it findable, list its provider in your jar's
 * {@code META-INF/services/io.overlaynet.BackendProvider} (this module lists it for its tests
 * only, so the example agent does not offer it):
 *
 * <pre>
 * io.overlaynet.examples.ExternalBackend$Provider
 * </pre>
 *
 * <pre>{@code
 * // network config: {"Network":"10.5.0.0/16","Backend":{"Type":"external"}}
 * Agent agent = Agent.builder().store(store, "/coreos.com/network").build();
 * agent.start();
 * ExternalBackend.ExternalNetwork net = (ExternalBackend.ExternalNetwork) agent.network().orElseThrow();
 * net.peers();      // every other node's subnet and lease, kept current
 * }</pre>
 */
public final class ExternalBackend implements Backend {

  /** The type name in the network config. */
  public static final String TYPE = "external";

  /** The {@link java.util.ServiceLoader} entry point. */
  public static final class Provider implements BackendProvider {
    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public Backend create() {
      return new ExternalBackend();
    }
  }

  @Override
  public String type() {
    return TYPE;
  }

  /**
   * Acquires the lease, publishing the backend type and no backend data, and the public IPv6
   * address when the config enables IPv6 (an IPv6-only node is found again by it).
   */
  @Override
  public Network register(BackendContext context) {
    LeaseAttrs attrs = LeaseAttrs.of(context.externalInterface().extAddr()).withBackend(TYPE, null);
    if (context.config().enableIpv6() && context.externalInterface().extV6Addr().isPresent()) {
      attrs = attrs.withPublicIpv6(context.externalInterface().extV6Addr().get());
    }
    Lease lease = context.subnetManager().acquireLease(attrs);
    return new ExternalNetwork(lease, context.externalInterface().mtu());
  }

  /** The registered backend: the peers as the lease stream describes them. */
  public static final class ExternalNetwork implements Network {
    private final Lease lease;
    private final int mtu;
    /** By lease key (both families: IPv6-only leases share the empty IPv4 subnet). */
    private final Map<String, Lease> peers = new LinkedHashMap<>();

    ExternalNetwork(Lease lease, int mtu) {
      this.lease = lease;
      this.mtu = mtu;
    }

    @Override
    public Lease lease() {
      return lease;
    }

    /** Returns the external interface's MTU: this backend adds no encapsulation. */
    @Override
    public int mtu() {
      return mtu;
    }

    /** Returns every other node's lease by its key (e.g. {@code 10.5.77.0-24}), as of the last event. */
    public synchronized Map<String, Lease> peers() {
      return Map.copyOf(peers);
    }

    /** A snapshot replaces what was known (the agent sends one at start and after a re-list). */
    @Override
    public synchronized void onSnapshot(List<Lease> leases) {
      peers.clear();
      leases.forEach(l -> peers.put(l.key(), l));
    }

    @Override
    public synchronized void onEvents(List<LeaseEvent> events) {
      for (LeaseEvent e : events) {
        if (e.type() == LeaseEvent.Type.ADDED) {
          peers.put(e.lease().key(), e.lease());
        } else {
          peers.remove(e.lease().key());
        }
      }
    }

    @Override
    public void close() {
      // Nothing of ours in the kernel.
    }
  }
}
