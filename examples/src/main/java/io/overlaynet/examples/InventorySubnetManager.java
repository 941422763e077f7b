package io.overlaynet.examples;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseEvent;
import io.overlaynet.LeaseException;
import io.overlaynet.LeaseKeeperListener;
import io.overlaynet.LeaseListener;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetManager;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Embedding example: a {@link SubnetManager} of your own, for an orchestrator that decides itself
 * which node gets which subnet (from its own inventory) instead of flannel's random allocation in
 * etcd. The nodes of one process share an {@link Inventory}; each node's agent gets a manager over
 * it. Leases never expire here: the orchestrator {@linkplain Inventory#release releases} a node.
 *
 * <pre>{@code
 * InventorySubnetManager.Inventory inventory = new InventorySubnetManager.Inventory(
 *     NetworkConfig.builder().withNetwork(Ip4Net.parse("10.5.0.0/16")).withBackend("host-gw").build());
 * inventory.assign(Ip4.parse("192.0.2.11"), Ip4Net.parse("10.5.11.0/24"));
 * inventory.assign(Ip4.parse("192.0.2.12"), Ip4Net.parse("10.5.12.0/24"));
 * Agent node1 = Agent.builder().subnetManager(new InventorySubnetManager(inventory))...build();
 * ...
 * inventory.release(Ip4.parse("192.0.2.12"));   // every other node drops its routes to it
 * }</pre>
 */
public final class InventorySubnetManager implements SubnetManager {

  /**
   * The orchestrator's assignment of subnets to nodes (by public IP) and the leases the nodes'
   * backends took, with what they published (a vxlan VTEP MAC, say). Thread-safe.
   */
  public static final class Inventory {
    private final NetworkConfig config;
    private final Map<Ip4, Ip4Net> assigned = new LinkedHashMap<>();
    /** Leases taken, by subnet. */
    private final Map<Ip4Net, Lease> leases = new LinkedHashMap<>();
    private final List<LeaseListener> watchers = new CopyOnWriteArrayList<>();

    /** Creates an inventory for one overlay network. */
    public Inventory(NetworkConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Gives the node with {@code publicIp} the subnet {@code subnet}.
     *
     * @throws IllegalArgumentException if the config cannot lease that subnet or another node has it
     */
    public synchronized void assign(Ip4 publicIp, Ip4Net subnet) {
      if (!config.isCompatible(subnet)) {
        throw new IllegalArgumentException(subnet + " is not a /" + config.subnetLen() + " between "
            + config.subnetMin() + " and " + config.subnetMax());
      }
      if (assigned.containsValue(subnet) && !subnet.equals(assigned.get(publicIp))) {
        throw new IllegalArgumentException(subnet + " is assigned to another node");
      }
      assigned.put(publicIp, subnet);
    }

    /** Takes the node out of the overlay: its lease goes, and every other node unprograms it. */
    public void release(Ip4 publicIp) {
      Lease gone;
      synchronized (this) {
        Ip4Net subnet = assigned.remove(publicIp);
        gone = subnet == null ? null : leases.remove(subnet);
      }
      if (gone != null) {
        watchers.forEach(w -> w.onEvents(List.of(LeaseEvent.removed(gone))));
      }
    }

    Lease take(LeaseAttrs attrs) {
      Lease lease;
      synchronized (this) {
        Ip4Net subnet = assigned.get(attrs.publicIp());
        if (subnet == null) {
          throw new LeaseException("the inventory assigns no subnet to " + attrs.publicIp());
        }
        lease = Lease.of(subnet, attrs);
        leases.put(subnet, lease);
      }
      watchers.forEach(w -> w.onEvents(List.of(LeaseEvent.added(lease))));
      return lease;
    }

    synchronized List<Lease> leases() {
      return new ArrayList<>(leases.values());
    }
  }

  private final Inventory inventory;
  private final List<LeaseWatch> running = new CopyOnWriteArrayList<>();

  /** Creates one node's manager over the shared inventory. */
  public InventorySubnetManager(Inventory inventory) {
    this.inventory = Objects.requireNonNull(inventory, "inventory");
  }

  @Override
  public NetworkConfig networkConfig() {
    return inventory.config;
  }

  /**
   * Returns the subnet the inventory assigns to {@code attrs.publicIp()}.
   *
   * @throws LeaseException if it assigns none
   */
  @Override
  public Lease acquireLease(LeaseAttrs attrs) {
    return inventory.take(attrs);
  }

  /** Leases here do not expire: returns {@code lease}. */
  @Override
  public Lease renewLease(Lease lease) {
    return lease;
  }

  @Override
  public LeaseWatch watchLeases(LeaseListener listener) {
    // Registered before the snapshot is taken: an event in between may come twice, never not at all
    // (a backend applies events with replace semantics).
    inventory.watchers.add(listener);
    listener.onSnapshot(inventory.leases());
    LeaseWatch w = new LeaseWatch() {
      @Override
      public void close() {
        inventory.watchers.remove(listener);
        running.remove(this);
      }
    };
    running.add(w);
    return w;
  }

  /** Nothing to renew; the lease is lost only when the orchestrator releases the node. */
  @Override
  public LeaseWatch keepLease(Lease lease, LeaseKeeperListener listener) {
    LeaseListener onRelease = new LeaseListener() {
      @Override
      public void onSnapshot(List<Lease> leases) {}

      @Override
      public void onEvents(List<LeaseEvent> events) {
        for (LeaseEvent e : events) {
          if (e.type() == LeaseEvent.Type.REMOVED && e.lease().subnet().equals(lease.subnet())) {
            listener.onLost(lease);
          }
        }
      }
    };
    inventory.watchers.add(onRelease);
    LeaseWatch w = new LeaseWatch() {
      @Override
      public void close() {
        inventory.watchers.remove(onRelease);
        running.remove(this);
      }
    };
    running.add(w);
    return w;
  }

  @Override
  public void close() {
    for (LeaseWatch w : List.copyOf(running)) {
      w.close();
    }
  }
}
