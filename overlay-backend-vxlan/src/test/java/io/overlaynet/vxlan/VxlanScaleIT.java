package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.ClusterFixture;

import static io.overlaynet.netlink.testing.ClusterFixture.PREFIX;
import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Correctness at scale: 1,000 remote vxlan leases on one host (in a namespace), half already in the
 * store when the agent starts (the snapshot path), half written while it runs (the event path);
 * every lease's route, ARP and FDB entry must be there, and after the leases are deleted every one
 * of them must be gone, with nothing left over.
 */
@Tag("privileged")
class VxlanScaleIT {

  private static final int LEASES = 1000;
  private static final String CONFIG = "{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"SubnetMin\":\"10.5.0.0\","
      + "\"SubnetMax\":\"10.5.255.0\",\"Backend\":{\"Type\":\"vxlan\"}}";

  /** Lease {@code i}: 10.100.0.0/24 onwards, public IPs 192.0.2.20-219 (no such hosts; nothing is sent). */
  static Lease lease(int i) {
    return Lease.of(Ip4Net.of(Ip4.of(10, 100 + i / 256, i % 256, 0), 24), LeaseAttrs.of(Ip4.of(192, 0, 2, 20 + i % 200))
        .withBackend("vxlan", String.format(Locale.ROOT, "{\"VNI\":1,\"VtepMAC\":\"02:42:00:00:%02x:%02x\"}", i >> 8,
            i & 255)));
  }

  static MacAddress mac(int i) {
    return MacAddress.parse(String.format(Locale.ROOT, "02:42:00:00:%02x:%02x", i >> 8, i & 255));
  }

  @Test
  void thousandLeasesAreProgrammedAndRemovedWithoutLeftovers() throws Exception {
    VxlanClusterIT.requirePrerequisites();
    Path dir = Files.createTempDirectory("vxlan-scale");
    try (InMemoryStore store = InMemoryStore.create()) {
      store.put(PREFIX + "/config", CONFIG, Store.NO_TTL);
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < LEASES; i++) {
        leases.add(lease(i));
      }
      for (Lease l : leases.subList(0, LEASES / 2)) {
        store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
      }
      try (ClusterFixture f = ClusterFixture.start(1, CONFIG, store, VxlanBackend::create, dir)) {
        NetlinkHandle nl = f.cluster.host(1).netlink();
        Set<IpNet> wantRoutes = leases.stream().map(Lease::subnet).collect(Collectors.toSet());
        Set<IpAddress> wantArp = leases.stream().map(l -> l.subnet().address()).collect(Collectors.toSet());
        Set<String> wantFdb = new HashSet<>();
        for (int i = 0; i < LEASES; i++) {
          wantFdb.add(mac(i) + " dst " + leases.get(i).attrs().publicIp());
        }

        // The snapshot is programmed before start() returns.
        KernelObjects half = KernelObjects.read(nl);
        assertEquals(LEASES / 2, half.routes.size(), "routes after the snapshot");
        assertEquals(LEASES / 2, half.arp.size(), "ARP entries after the snapshot");
        assertEquals(LEASES / 2, half.fdb.size(), "FDB entries after the snapshot");

        for (Lease l : leases.subList(LEASES / 2, LEASES)) {
          store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
        }
        await("every lease's route, ARP and FDB entry", Duration.ofSeconds(20), () -> {
          KernelObjects o = KernelObjects.read(nl);
          return o.routes.equals(wantRoutes) && o.arp.equals(wantArp) && o.fdb.equals(wantFdb);
        });

        for (Lease l : leases) {
          store.delete(PREFIX + "/subnets/" + l.key());
        }
        await("no route, ARP or FDB entry left", Duration.ofSeconds(20), () -> {
          KernelObjects o = KernelObjects.read(nl);
          return o.routes.isEmpty() && o.arp.isEmpty() && o.fdb.isEmpty();
        });
      }
    } finally {
      ClusterFixture.deleteRecursively(dir);
    }
  }

  /** The benchmark leases' objects in the kernel: routes into 10.100.0.0/14, entries on flannel.1. */
  record KernelObjects(Set<IpNet> routes, Set<IpAddress> arp, Set<String> fdb) {
    static KernelObjects read(NetlinkHandle nl) throws Exception {
      Ip4Net range = Ip4Net.parse("10.100.0.0/14");
      int dev = nl.linkByName("flannel.1").index();
      Set<IpNet> routes = nl.routeList(Family.V4).stream()
          .filter(r -> r.dst() instanceof Ip4Net d && range.contains(d) && r.linkIndex() == dev && r.isOnlink()
              && r.gateway() != null && r.gateway().equals(d.address()))
          .map(r -> r.dst()).collect(Collectors.toSet());
      Set<IpAddress> arp = nl.neighList(dev, Family.V4).stream().filter(Neighbor::isPermanent)
          .map(Neighbor::ip).collect(Collectors.toSet());
      Set<String> fdb = nl.fdbList(dev).stream().filter(e -> e.dst() != null && e.isPermanent())
          .map(e -> e.mac() + " dst " + e.dst()).collect(Collectors.toSet());
      return new KernelObjects(routes, arp, fdb);
    }
  }
}
