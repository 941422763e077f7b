package io.overlaynet.udp;

import static io.overlaynet.udp.UdpTestbed.carriedDrops;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.BackendContext;
import io.overlaynet.BackendException;
import io.overlaynet.ExternalInterface;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetManager;
import io.overlaynet.SubnetManagerOptions;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.testing.TestThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Multi-queue operation with TUN offloads (TSO super-packets segmented before encapsulation), a
 * busy port, and stopping: the host's threads end and flannel0 is gone when close() returns.
 */
@Tag("privileged")
class UdpLifecycleIT {

  /** Margin for a loaded machine; the data path threads wait in poll(-1), so only a wake ends them. */
  private static final Duration PROMPT = Duration.ofSeconds(5);

  @Test
  void multiQueueCarriesTrafficBusyPortFailsCleanlyAndCloseRemovesTheDevice() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun");
    // Threads of earlier test classes in this JVM may still be winding down: count only ours.
    TestThreads udpThreads = TestThreads.named("overlaynet-udp-");
    Set<Thread> threads;
    try (UdpTestbed bed = UdpTestbed.start("oudpl", 2, 2, UdpOptions.DEFAULT.withQueues(2).withOffload(true))) {
      TestCluster.Host h1 = bed.host(1);
      threads = udpThreads.started();
      assertEquals(8, threads.size(), "a tx and an rx thread per queue per host: " + threads);
      JsonObject link = JsonParser.parseString(UdpTestbed.run(h1.name(), "ip", "-d", "-j", "link", "show", "flannel0"))
          .getAsJsonArray().get(0).getAsJsonObject();
      JsonObject data = link.getAsJsonObject("linkinfo").getAsJsonObject("info_data");
      assertTrue(data.get("multi_queue").getAsBoolean());
      assertTrue(data.get("vnet_hdr").getAsBoolean());
      assertFalse(data.get("pi").getAsBoolean());
      assertEquals(1472, link.get("mtu").getAsInt());
      assertEquals(2, bed.network(1).queues());
      assertTrue(bed.cluster.awaitPing(bed.container(1).netns(), bed.container(2).ip(), Duration.ofSeconds(10)));
      assertEquals("MQ", bed.cluster.tcpExchange(bed.container(2).netns(), bed.container(1).netns(),
          bed.container(1).ip(), 7200, "mq"));
      UdpStats before = bed.network(2).stats();
      assertTrue(bed.bulkTransfer(bed.container(2), bed.container(1), 7201, 16 << 20), "16 MiB c2 → c1 intact");
      assertTrue(bed.bulkTransfer(bed.container(1), bed.container(2), 7202, 4 << 20), "4 MiB c1 → c2 intact");
      UdpStats after = bed.network(2).stats();
      assertTrue(after.txPackets() - before.txPackets() > 10_000, after.toString());
      assertEquals(carriedDrops(before), carriedDrops(after), after.toString());

      // A second registration on the same node finds port 8285 taken: it fails before making a device.
      SubnetManager sm = SubnetManager.overStore(bed.store, SubnetManagerOptions.DEFAULT.withPrefix(UdpTestbed.PREFIX));
      int index = h1.netlink().linkByName("eth0").index();
      BackendContext ctx = new BackendContext(sm, NetworkConfig.parse(UdpTestbed.CONFIG),
          ExternalInterface.ipv4("eth0", index, 1500, h1.underlayIp()));
      BackendException busy = assertThrows(BackendException.class,
          () -> h1.netns().run(() -> UdpBackend.create().register(ctx)));
      assertTrue(busy.getMessage().contains("8285"), busy.getMessage());
      assertTrue(busy.getCause() instanceof IOException, "the system's error is the cause");
      assertFalse(UdpTestbed.run(h1.name(), "ip", "-o", "link").contains("flannel1"));

      UdpNetwork net = bed.network(1);
      long t0 = System.nanoTime();
      net.close();
      long closeMillis = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(closeMillis < PROMPT.toMillis(), "close took " + closeMillis + " ms");
      // close() removes the device only after joining its threads: so host 1's four have ended
      // (the same names run on host 2, which is why the count is checked, not the names).
      String links = UdpTestbed.run(h1.name(), "ip", "-o", "link");
      assertFalse(links.contains("flannel0"), links);
      assertEquals("", UdpTestbed.run(h1.name(), "ip", "route", "show", "10.5.0.0/16").trim(), "the route went with it");
      assertEquals(4, threads.stream().filter(t -> !t.isAlive()).count(), "host 1's threads ended: " + threads);
      assertEquals(4, threads.stream().filter(Thread::isAlive).count(), "host 2's threads run on: " + threads);
      net.close(); // idempotent
      assertFalse(bed.cluster.ping(bed.container(2).netns(), bed.container(1).ip()), "h1's side is down, as with flanneld");
    }
    TestThreads.assertEnd(threads, PROMPT);
  }
}
