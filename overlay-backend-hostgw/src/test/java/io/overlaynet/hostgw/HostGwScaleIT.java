package io.overlaynet.hostgw;

import io.overlaynet.netlink.testing.ClusterFixture;

import static io.overlaynet.netlink.testing.ClusterFixture.PREFIX;
import static io.overlaynet.netlink.testing.ClusterFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Netlink;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Correctness at scale: 1,000 remote host-gw leases on one host (in a namespace), half already in
 * the store when the agent starts (the snapshot path), half written while it runs (the event
 * path); every lease's route must be there, and after the leases are deleted every one must be
 * gone, with nothing left over.
 */
@Tag("privileged")
class HostGwScaleIT {

  private static final int LEASES = 1000;
  private static final String CONFIG = "{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"SubnetMin\":\"10.5.0.0\","
      + "\"SubnetMax\":\"10.5.255.0\",\"Backend\":{\"Type\":\"host-gw\"}}";

  /** Lease {@code i}: 10.100.0.0/24 onwards via 192.0.2.20-219 (no such hosts; nothing is sent). */
  static Lease lease(int i) {
    return Lease.of(Ip4Net.of(Ip4.of(10, 100 + i / 256, i % 256, 0), 24),
        LeaseAttrs.of(Ip4.of(192, 0, 2, 20 + i % 200)).withBackend("host-gw", null));
  }

  @Test
  void thousandLeasesAreRoutedAndUnroutedWithoutLeftovers() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(Netlink.isAvailable(), "rtnetlink",
        "a Linux kernel with netlink: " + Netlink.unavailabilityCause());
    Path dir = Files.createTempDirectory("hostgw-scale");
    try (InMemoryStore store = InMemoryStore.create()) {
      store.put(PREFIX + "/config", CONFIG, Store.NO_TTL);
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < LEASES; i++) {
        leases.add(lease(i));
      }
      for (Lease l : leases.subList(0, LEASES / 2)) {
        store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
      }
      try (ClusterFixture f = ClusterFixture.start(1, CONFIG, store, HostGwBackend::create, dir)) {
        NetlinkHandle nl = f.cluster.host(1).netlink();
        int eth0 = nl.linkByName(f.cluster.host(1).underlayLink()).index();
        Set<String> want = new HashSet<>();
        for (Lease l : leases) {
          want.add(l.subnet() + " via " + l.attrs().publicIp());
        }
        // The snapshot is programmed before start() returns.
        assertEquals(LEASES / 2, routes(nl, eth0).size(), "routes after the snapshot");

        for (Lease l : leases.subList(LEASES / 2, LEASES)) {
          store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
        }
        await("every lease's route", Duration.ofSeconds(20), () -> routes(nl, eth0).equals(want));

        for (Lease l : leases) {
          store.delete(PREFIX + "/subnets/" + l.key());
        }
        await("no route left", Duration.ofSeconds(20), () -> routes(nl, eth0).isEmpty());
      }
    } finally {
      ClusterFixture.deleteRecursively(dir);
    }
  }

  /** The routes into 10.100.0.0/14 through the underlay device, as "dst via gateway". */
  private static Set<String> routes(NetlinkHandle nl, int dev) throws Exception {
    Ip4Net range = Ip4Net.parse("10.100.0.0/14");
    Set<String> out = new HashSet<>();
    for (Route r : nl.routeList(Family.V4)) {
      if (r.dst() instanceof Ip4Net d && range.contains(d) && r.linkIndex() == dev) {
        out.add(d + " via " + r.gateway());
      }
    }
    return out;
  }
}
