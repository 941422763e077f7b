package io.overlaynet.udp;

import static io.overlaynet.udp.UdpTestbed.carriedDrops;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.udp.internal.Ip4Packets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The offload data path (the default: TUN TSO in, UDP GSO out, UDP GRO in, TCP segments
 * coalesced into TUN super-packets) between hosts 1 and 2, and its interoperability with a
 * host 3 that runs flanneld's plain path (no vnet header, no GRO: one datagram = one packet,
 * anything else is dropped as malformed).
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UdpOffloadIT {

  private UdpTestbed bed;

  @BeforeAll
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun");
    bed = UdpTestbed.start("oudpo", 3,
        List.of(UdpOptions.DEFAULT, UdpOptions.DEFAULT, UdpOptions.DEFAULT.withOffload(false)));
    for (int a = 1; a <= 3; a++) {
      for (int b = 1; b <= 3; b++) {
        if (a != b) {
          assertTrue(bed.cluster.awaitPing(bed.container(a).netns(), bed.container(b).ip(), Duration.ofSeconds(10)));
        }
      }
    }
  }

  @AfterAll
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void bulkTransfersAreIntactWithSegmentationAndCoalescingAndNoDrops() throws Exception {
    UdpStats tx0 = bed.network(1).stats();
    UdpStats rx0 = bed.network(2).stats();
    assertTrue(bed.bulkTransfer(bed.container(1), bed.container(2), 7300, 32 << 20), "32 MiB c1 → c2 intact");
    assertTrue(bed.bulkTransfer(bed.container(2), bed.container(1), 7301, 8 << 20), "8 MiB c2 → c1 intact");
    UdpStats tx1 = bed.network(1).stats();
    UdpStats rx1 = bed.network(2).stats();
    long sent = tx1.txPackets() - tx0.txPackets();
    long received = rx1.rxPackets() - rx0.rxPackets();
    assertTrue(sent > 20_000, tx1.toString());
    assertTrue(received > 20_000, rx1.toString());
    assertTrue(sent > 8 * (tx1.txCalls() - tx0.txCalls()), "UDP GSO: many packets per send call: " + tx1);
    assertTrue(received > 4 * (rx1.rxTunWrites() - rx0.rxTunWrites()), "coalesced TUN writes: " + rx1);
    assertEquals(carriedDrops(tx0), carriedDrops(tx1), tx1.toString());
    assertEquals(carriedDrops(rx0), carriedDrops(rx1), rx1.toString());
  }

  @Test
  void aPlainFlanneldStylePeerGetsOnePacketPerDatagramBothWays() throws Exception {
    UdpStats plain0 = bed.network(3).stats();
    UdpStats off0 = bed.network(1).stats();
    assertTrue(bed.bulkTransfer(bed.container(1), bed.container(3), 7310, 16 << 20), "16 MiB offload → plain intact");
    assertTrue(bed.bulkTransfer(bed.container(3), bed.container(1), 7311, 8 << 20), "8 MiB plain → offload intact");
    UdpStats plain1 = bed.network(3).stats();
    UdpStats off1 = bed.network(1).stats();
    // The plain side vets every datagram as exactly one IPv4 packet (total length = datagram).
    assertTrue(plain1.rxPackets() - plain0.rxPackets() > 10_000, plain1.toString());
    assertEquals(carriedDrops(plain0), carriedDrops(plain1), plain1.toString());
    assertEquals(carriedDrops(off0), carriedDrops(off1), off1.toString());
  }

  /**
   * A small MSS (c2 advertises 200 bytes, so c1 sends 200-byte segments) makes ~330 segments per
   * super-packet: more than one batch or datagram train holds; still carried whole.
   */
  @Test
  void smallMssSuperPacketsAreCarriedIntactWithoutDrops() throws Exception {
    String c2 = bed.container(2).name();
    String route = UdpTestbed.run(c2, "ip", "-o", "route", "show", "default").trim();
    assertTrue(route.startsWith("default via "), route);
    List<String> change = new java.util.ArrayList<>(List.of("ip", "route", "change"));
    change.addAll(List.of(route.split("\\s+")));
    UdpStats tx0 = bed.network(1).stats();
    UdpStats rx0 = bed.network(2).stats();
    List<String> small = new java.util.ArrayList<>(change);
    small.addAll(List.of("advmss", "200"));
    UdpTestbed.run(c2, small.toArray(String[]::new));
    try {
      assertTrue(UdpTestbed.run(c2, "ip", "-o", "route", "show", "default").contains("advmss 200"));
      assertTrue(bed.bulkTransfer(bed.container(1), bed.container(2), 7330, 16 << 20), "16 MiB at MSS 200 intact");
    } finally {
      UdpTestbed.run(c2, change.toArray(String[]::new));
    }
    UdpStats tx1 = bed.network(1).stats();
    UdpStats rx1 = bed.network(2).stats();
    assertTrue(tx1.txPackets() - tx0.txPackets() > 80_000, "MSS 200: ~84k packets: " + tx1);
    assertEquals(carriedDrops(tx0), carriedDrops(tx1), tx1.toString());
    assertEquals(carriedDrops(rx0), carriedDrops(rx1), rx1.toString());
  }

  /**
   * What h1 hands its eth0 during a bulk transfer: with UDP GSO, one skb may hold a train of
   * datagrams that the kernel (or a NIC) sends separately, cut every {@code gso_size} bytes. So
   * every captured UDP payload must be whole IPv4 packets back to back, all of the first's size
   * but the last, each well formed, TTL 62 (64, −1 by h1's forwarding, −1 by the proxy): cut as
   * the kernel cuts it, each datagram on the wire is one plain IPv4 packet, as flanneld sends.
   */
  @Test
  void capturedDatagramTrainsCutIntoOnePlainIpv4PacketPerDatagram() throws Exception {
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/tcpdump")), "tcpdump", "apt-get install tcpdump");
    TestCluster.Container c1 = bed.container(1);
    TestCluster.Container c2 = bed.container(2);
    Path pcap = Files.createTempFile("udp8285gso", ".pcap");
    try {
      Process dump = new ProcessBuilder("ip", "netns", "exec", bed.host(1).name(), "tcpdump", "-i", "eth0", "-n",
          "-U", "-c", "300", "-w", pcap.toString(), "udp and src port 8285 and src host "
          + bed.host(1).underlayIp()).redirectErrorStream(true).start();
      java.io.BufferedReader err = new java.io.BufferedReader(new java.io.InputStreamReader(dump.getInputStream()));
      String line;
      do {
        line = err.readLine();
      } while (line != null && !line.contains("listening"));
      assertTrue(line != null, "tcpdump did not start");
      assertTrue(bed.bulkTransfer(c1, c2, 7320, 16 << 20));
      if (!dump.waitFor(10, TimeUnit.SECONDS)) {
        dump.destroy();
        dump.waitFor(5, TimeUnit.SECONDS);
      }
      List<byte[]> frames = Pcap.read(pcap);
      assertTrue(frames.size() >= 100, "captured " + frames.size());
      int trains = 0;
      int packets = 0;
      for (byte[] f : frames) {
        ByteBuffer b = ByteBuffer.allocateDirect(f.length).put(f).flip();
        assertEquals(0x0800, b.getShort(12) & 0xffff, "IPv4 frame");
        int ip = 14;
        int ihl = (b.get(ip) & 0x0f) * 4;
        assertEquals(17, b.get(ip + 9), "outer protocol UDP");
        int udp = ip + ihl;
        assertEquals(8285, b.getShort(udp) & 0xffff);
        assertEquals(8285, b.getShort(udp + 2) & 0xffff);
        int start = udp + 8;
        int end = f.length;
        int segSize = b.getShort(start + 2) & 0xffff;
        int n = 0;
        for (int at = start; at < end; at += segSize) {
          int len = Math.min(segSize, end - at);
          assertEquals(len, b.getShort(at + 2) & 0xffff, "a datagram of " + len + " bytes holds one packet");
          assertEquals(null, Ip4Packets.checkDatagram(b, at, len), "well-formed inner IPv4 packet");
          assertEquals(62, b.get(at + 8) & 0xff, "inner TTL");
          assertEquals(6, b.get(at + 9), "inner TCP");
          assertEquals(c1.ip().toInt(), b.getInt(at + 12));
          assertEquals(c2.ip().toInt(), b.getInt(at + 16));
          assertTrue(len <= 1472, "fits the underlay MTU as its own datagram: " + len);
          n++;
        }
        packets += n;
        trains += n > 1 ? 1 : 0;
      }
      assertTrue(trains > 0, "UDP GSO in use: " + packets + " packets in " + frames.size() + " skbs");
    } finally {
      Files.deleteIfExists(pcap);
    }
  }
}
