package io.overlaynet.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.PeerStatus;
import io.overlaynet.RepairKind;
import io.overlaynet.agent.Agent;
import io.overlaynet.impl.RepairSeam;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.testing.Prerequisites;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * flannel0 repaired: deleted by hand it is made again and traffic resumes (flanneld's udp data
 * path is dead until a restart); its route and address deleted by hand come back; set down while
 * repairs are paused, the drift shows in every peer's data plane, and the repair is counted.
 */
@Tag("privileged")
class UdpRepairIT {

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + timeout + ": " + what);
      Thread.sleep(50);
    }
  }

  static String ip(String ns, String... args) {
    try {
      String[] cmd = new String[args.length + 1];
      cmd[0] = "ip";
      System.arraycopy(args, 0, cmd, 1, args.length);
      return UdpTestbed.run(ns, cmd);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aDeviceSetDownWhileRepairsArePausedShowsInEveryPeerThenIsRestoredAndCounted() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun");
    try (UdpTestbed bed = UdpTestbed.start("oudpd", 3, 3,
        UdpOptions.DEFAULT.withCheckInterval(Duration.ofMillis(500)))) {
      String h1 = bed.host(1).name();
      UdpNetwork net = bed.network(1);
      Agent agent = bed.agents.get(0);
      await("both peers in sync", Duration.ofSeconds(10),
          () -> net.dataPlane().peers().size() == 2 && net.dataPlane().inSync());
      Map<RepairKind, Long> before = agent.metrics().repairs();
      RepairSeam.pause();
      try {
        UdpTestbed.run(h1, "ip", "link", "set", "flannel0", "down"); // the kernel drops its route with it
        await("the drift seen", Duration.ofSeconds(5), () -> net.dataPlane().peers().stream()
            .allMatch(p -> drifts(p).equals(List.of(Drift.OK, Drift.MISSING, Drift.WRONG))));
        Thread.sleep(600); // longer than the check period: the periodic check is paused too
        DataPlaneView v = net.dataPlane();
        for (PeerStatus p : v.peers()) {
          assertEquals(List.of(Drift.OK, Drift.MISSING, Drift.WRONG), drifts(p), v.toString());
        }
        PeerStatus first = v.peers().get(0);
        Lease lease = bed.leases.get(0);
        assertEquals(List.of(
            "peer " + first.lease().subnet() + " -> " + first.lease().attrs().publicIp() + ":8285",
            "route 10.5.0.0/16 dev flannel0",
            "device flannel0 " + lease.subnet().address() + "/32 mtu 1472 up"),
            first.entries().stream().map(e -> e.kind() + " " + e.description()).toList());
      } finally {
        RepairSeam.resume();
      }
      await("flannel0 up with its route again", Duration.ofSeconds(10), () -> net.dataPlane().inSync());
      Map<RepairKind, Long> after = agent.metrics().repairs();
      assertEquals(before.get(RepairKind.DEVICE_RESTORED) + 1, after.get(RepairKind.DEVICE_RESTORED), after.toString());
      assertEquals(before.get(RepairKind.ROUTE_RESTORED) + 1, after.get(RepairKind.ROUTE_RESTORED), after.toString());
      assertEquals(before.get(RepairKind.DEVICE_RECREATED), after.get(RepairKind.DEVICE_RECREATED));
      assertTrue(bed.cluster.awaitPing(bed.container(1).netns(), bed.container(2).ip(), Duration.ofSeconds(10)));
    } finally {
      RepairSeam.resume();
    }
  }

  private static List<Drift> drifts(PeerStatus p) {
    return p.entries().stream().map(DataPlaneEntry::drift).toList();
  }

  @Test
  void aDeletedDeviceIsMadeAgainAndALostRouteAndAddressComeBack() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun");
    try (UdpTestbed bed = UdpTestbed.start("oudpr", 2, 2,
        UdpOptions.DEFAULT.withCheckInterval(Duration.ofMillis(500)))) {
      String h1 = bed.host(1).name();
      assertTrue(bed.cluster.awaitPing(bed.container(1).netns(), bed.container(2).ip(), Duration.ofSeconds(10)));

      UdpTestbed.run(h1, "ip", "link", "del", "flannel0");
      // Made again at once, with the data path on the new device and the peers kept.
      assertTrue(bed.cluster.awaitPing(bed.container(1).netns(), bed.container(2).ip(), Duration.ofSeconds(10)),
          "no traffic after flannel0 was deleted: " + ip(h1, "addr", "show"));
      assertTrue(bed.cluster.awaitPing(bed.container(2).netns(), bed.container(1).ip(), Duration.ofSeconds(10)));
      String self = bed.leases.get(0).subnet().address() + "/32";
      assertTrue(ip(h1, "addr", "show", "flannel0").contains(self));

      UdpTestbed.run(h1, "ip", "route", "del", "10.5.0.0/16", "dev", "flannel0");
      await("the route back", Duration.ofSeconds(10), () -> ip(h1, "route", "show").contains("10.5.0.0/16 dev flannel0"));
      UdpTestbed.run(h1, "ip", "addr", "del", self, "dev", "flannel0");
      await("the address back", Duration.ofSeconds(10), () -> ip(h1, "addr", "show", "flannel0").contains(self));
      assertTrue(bed.cluster.awaitPing(bed.container(1).netns(), bed.container(2).ip(), Duration.ofSeconds(10)));
    }
  }
}
