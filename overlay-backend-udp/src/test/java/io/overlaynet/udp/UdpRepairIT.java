package io.overlaynet.udp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.netlink.TunDevice;
import io.overlaynet.testing.Prerequisites;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * flannel0 repaired: deleted by hand it is made again and traffic resumes (flanneld's udp data
 * path is dead until a restart); its route and address deleted by hand come back.
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
