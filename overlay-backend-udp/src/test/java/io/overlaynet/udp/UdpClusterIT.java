package io.overlaynet.udp;

import static io.overlaynet.udp.UdpTestbed.carriedDrops;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.Lease;
import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import io.overlaynet.udp.internal.Ip4Packets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Three hosts with one container each over the udp backend, plus a fourth host on the underlay
 * with no agent (a rogue sender): flannel's device and wire format, reachability, ICMP for
 * unknown destinations, the anti-spoofing checks and their drops in {@link UdpNetwork#traffic()}.
 */
@Tag("privileged")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UdpClusterIT {

  private UdpTestbed bed;

  @BeforeAll
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun");
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/ping")), "ping", "apt-get install iputils-ping");
    bed = UdpTestbed.start("oudpc", 4, 3, UdpOptions.DEFAULT);
  }

  @AfterAll
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void deviceAddressRouteAndLeaseAreFlannels() throws Exception {
    for (int h = 1; h <= 3; h++) {
      String ns = bed.host(h).name();
      Lease lease = bed.leases.get(h - 1);
      JsonObject link = JsonParser.parseString(UdpTestbed.run(ns, "ip", "-d", "-j", "link", "show", "flannel0"))
          .getAsJsonArray().get(0).getAsJsonObject();
      assertEquals(1472, link.get("mtu").getAsInt());
      JsonObject info = link.getAsJsonObject("linkinfo");
      assertEquals("tun", info.get("info_kind").getAsString());
      JsonObject data = info.getAsJsonObject("info_data");
      assertEquals("tun", data.get("type").getAsString());
      assertFalse(data.get("pi").getAsBoolean(), "IFF_NO_PI");
      assertFalse(data.get("persist").getAsBoolean());
      assertTrue(link.get("flags").getAsJsonArray().toString().contains("\"UP\""));

      JsonArray addrs = JsonParser.parseString(UdpTestbed.run(ns, "ip", "-j", "-4", "addr", "show", "flannel0"))
          .getAsJsonArray().get(0).getAsJsonObject().getAsJsonArray("addr_info");
      assertEquals(1, addrs.size());
      assertEquals(lease.subnet().address().toString(), addrs.get(0).getAsJsonObject().get("local").getAsString());
      assertEquals(32, addrs.get(0).getAsJsonObject().get("prefixlen").getAsInt());

      JsonObject route = JsonParser.parseString(UdpTestbed.run(ns, "ip", "-j", "route", "show", "10.5.0.0/16"))
          .getAsJsonArray().get(0).getAsJsonObject();
      assertEquals("flannel0", route.get("dev").getAsString());

      String sockets = UdpTestbed.run(ns, "ss", "-H", "-u", "-l", "-n");
      assertTrue(sockets.contains(bed.host(h).underlayIp() + ":8285"), sockets);

      String value = bed.store.get(UdpTestbed.PREFIX + "/subnets/" + lease.key()).orElseThrow().value();
      assertEquals("{\"PublicIP\":\"" + bed.host(h).underlayIp() + "\",\"PublicIPv6\":null}", value);
      assertEquals(1472, bed.network(h).mtu());
      assertEquals(2, bed.network(h).peers().size());
    }
  }

  @Test
  void icmpAndTcpBetweenAllContainers() throws Exception {
    UdpStats before = bed.network(1).stats();
    int port = 7000;
    for (int a = 1; a <= 3; a++) {
      for (int b = 1; b <= 3; b++) {
        if (a == b) {
          continue;
        }
        TestCluster.Container from = bed.container(a);
        TestCluster.Container to = bed.container(b);
        assertTrue(bed.cluster.awaitPing(from.netns(), to.ip(), Duration.ofSeconds(10)), from + " → " + to);
        assertEquals("HELLO FROM " + a, bed.cluster.tcpExchange(from.netns(), to.netns(), to.ip(), port++,
            "hello from " + a));
      }
    }
    assertTrue(bed.bulkTransfer(bed.container(1), bed.container(3), 7050, 8 << 20), "8 MiB c1 → c3 intact");
    // Host to remote container: the source is the host's flannel0 address, which the other side answers.
    assertTrue(bed.cluster.awaitPing(bed.host(1).netns(), bed.container(2).ip(), Duration.ofSeconds(5)));
    UdpStats s = bed.network(1).stats();
    assertTrue(s.txPackets() > 0 && s.rxPackets() > 0, s.toString());
    assertEquals(carriedDrops(before), carriedDrops(s), "no drops in normal traffic: " + s);
  }

  @Test
  void captureShowsOnePlainIpv4PacketPerDatagramWithTtlDecremented() throws Exception {
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/tcpdump")), "tcpdump", "apt-get install tcpdump");
    TestCluster.Container c1 = bed.container(1);
    TestCluster.Container c2 = bed.container(2);
    assertTrue(bed.cluster.awaitPing(c1.netns(), c2.ip(), Duration.ofSeconds(5)));
    Path pcap = Files.createTempFile("udp8285", ".pcap");
    try {
      Process dump = new ProcessBuilder("ip", "netns", "exec", bed.host(1).name(), "tcpdump", "-i", "eth0", "-n",
          "-U", "-c", "6", "-w", pcap.toString(), "udp", "port", "8285").redirectErrorStream(true).start();
      // tcpdump says "listening on" once the capture is armed.
      java.io.BufferedReader err = new java.io.BufferedReader(new java.io.InputStreamReader(dump.getInputStream()));
      String line;
      do {
        line = err.readLine();
      } while (line != null && !line.contains("listening"));
      assertTrue(line != null, "tcpdump did not start");
      UdpTestbed.run(c1.name(), "ping", "-n", "-c", "3", "-i", "0.2", "-t", "64", c2.ip().toString());
      if (!dump.waitFor(10, TimeUnit.SECONDS)) {
        dump.destroy();
        dump.waitFor(5, TimeUnit.SECONDS);
      }
      List<byte[]> frames = Pcap.read(pcap);
      assertEquals(6, frames.size(), "3 requests and 3 replies");
      int requests = 0;
      int replies = 0;
      for (byte[] f : frames) {
        ByteBuffer b = ByteBuffer.allocateDirect(f.length).put(f).flip();
        assertEquals(0x0800, b.getShort(12) & 0xffff, "IPv4 frame");
        int ip = 14;
        int ihl = (b.get(ip) & 0x0f) * 4;
        assertEquals(17, b.get(ip + 9), "outer protocol UDP");
        int udp = ip + ihl;
        assertEquals(8285, b.getShort(udp) & 0xffff, "source port");
        assertEquals(8285, b.getShort(udp + 2) & 0xffff, "destination port");
        int inner = udp + 8;
        int udpLen = b.getShort(udp + 4) & 0xffff;
        int innerLen = b.getShort(inner + 2) & 0xffff;
        assertEquals(udpLen - 8, innerLen, "the payload is exactly one IPv4 packet");
        assertEquals(f.length - inner, innerLen, "nothing after the inner packet");
        assertEquals(null, Ip4Packets.checkDatagram(b, inner, innerLen), "a well-formed inner IPv4 packet");
        assertEquals(1, b.get(inner + 9), "inner ICMP");
        int outerSrc = b.getInt(ip + 12);
        int innerTtl = b.get(inner + 8) & 0xff;
        // 64 from ping, −1 by the host's forwarding into flannel0, −1 by the proxy: 62, as flanneld sends.
        assertEquals(62, innerTtl);
        if (outerSrc == bed.host(1).underlayIp().toInt()) {
          assertEquals(bed.host(2).underlayIp().toInt(), b.getInt(ip + 16));
          assertEquals(c1.ip().toInt(), b.getInt(inner + 12));
          assertEquals(c2.ip().toInt(), b.getInt(inner + 16));
          assertEquals(8, b.get(inner + ihlOf(b, inner)), "echo request");
          requests++;
        } else {
          assertEquals(bed.host(2).underlayIp().toInt(), outerSrc);
          assertEquals(c2.ip().toInt(), b.getInt(inner + 12));
          assertEquals(0, b.get(inner + ihlOf(b, inner)), "echo reply");
          replies++;
        }
      }
      assertEquals(3, requests);
      assertEquals(3, replies);
    } finally {
      Files.deleteIfExists(pcap);
    }
  }

  private static int ihlOf(ByteBuffer b, int off) {
    return (b.get(off) & 0x0f) * 4;
  }

  @Test
  void unknownDestinationGetsNetUnreachable() throws Exception {
    Ip4 nowhere = unleasedAddress();
    long before = bed.network(1).stats().icmpUnreachableSent();
    String out = UdpTestbed.run(bed.container(1).name(), "ping", "-n", "-c", "1", "-W", "2", nowhere.toString());
    assertTrue(out.contains("Destination Net Unreachable"), out);
    assertTrue(out.contains("From " + bed.leases.get(0).subnet().address()), "sent by the TUN address: " + out);
    // The TX thread counts the reply just after writing it, so ping may have printed it first.
    awaitTrue(() -> bed.network(1).stats().icmpUnreachableSent() > before, Duration.ofSeconds(2));
    assertTrue(bed.network(1).stats().icmpUnreachableSent() > before);
    assertTrue(bed.network(1).stats().drops(DropReason.NO_ROUTE) > 0);
    // TCP to the same place fails at once (ICMP net unreachable), not after a timeout.
    long t0 = System.nanoTime();
    String curl = UdpTestbed.run(bed.container(1).name(), "bash", "-c",
        "exec 3<>/dev/tcp/" + nowhere + "/80 && echo connected || echo refused");
    assertTrue(curl.contains("refused") || curl.toLowerCase().contains("unreachable"), curl);
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "answered promptly");
  }

  private Ip4 unleasedAddress() {
    for (int third = 250; third > 0; third--) {
      Ip4 candidate = Ip4.of(10, 5, third, 1);
      if (bed.leases.stream().noneMatch(l -> l.subnet().contains(candidate))) {
        return candidate;
      }
    }
    throw new AssertionError("no free subnet");
  }

  @Test
  void spoofedAndMalformedDatagramsAreDroppedAndCounted() throws Exception {
    UdpNetwork h1 = bed.network(1);
    Ip4 h1Ip = bed.host(1).underlayIp();
    TestCluster.Container c1 = bed.container(1);
    TestCluster.Container c2 = bed.container(2);
    TestCluster.Container c3 = bed.container(3);
    Map<DropReason, Long> before = new EnumMap<>(h1.stats().drops());
    int listenPort = 9999;

    // A UDP listener in c1 sees which injected inner packets get through.
    try (DatagramChannel sink = c1.netns().run(() -> DatagramChannel.open()
        .bind(new InetSocketAddress(c1.ip().toInetAddress(), listenPort)))) {
      sink.socket().setSoTimeout(300);
      List<byte[]> junk = new ArrayList<>();
      // From the real peer h2: inner source of h3's container (spoofed), inner destination
      // outside h1's subnet, TTL 1, and five kinds of malformed packets.
      byte[] good = Packets.udp(c2.ip(), c1.ip(), 64, listenPort, "legit");
      byte[] spoofed = Packets.udp(c3.ip(), c1.ip(), 64, listenPort, "spoofed");
      byte[] wrongDst = Packets.udp(c2.ip(), c3.ip(), 64, listenPort, "relay");
      byte[] ttl1 = Packets.udp(c2.ip(), c1.ip(), 1, listenPort, "ttl");
      byte[] tooShort = new byte[12];
      byte[] v6 = good.clone();
      v6[0] = 0x65;
      byte[] ihl = good.clone();
      ihl[0] = 0x44;
      byte[] total = Packets.udp(c2.ip(), c1.ip(), 64, listenPort, "padded");
      total = java.util.Arrays.copyOf(total, total.length + 3);
      byte[] sum = good.clone();
      sum[10] ^= 0x55;
      junk.addAll(List.of(spoofed, wrongDst, ttl1, tooShort, v6, ihl, total, sum));
      NetNs h2 = bed.host(2).netns();
      sendFrom(h2, bed.host(2).underlayIp(), h1Ip, junk);
      // From the rogue host (no lease): even a perfect packet is refused.
      sendFrom(bed.host(4).netns(), bed.host(4).underlayIp(), h1Ip, List.of(good, good));

      Map<DropReason, Long> expected = new EnumMap<>(DropReason.class);
      expected.put(DropReason.SPOOFED_SOURCE, 1L);
      expected.put(DropReason.WRONG_DESTINATION, 1L);
      expected.put(DropReason.TTL_EXPIRED, 1L);
      expected.put(DropReason.TOO_SHORT, 1L);
      expected.put(DropReason.BAD_VERSION, 1L);
      expected.put(DropReason.BAD_HEADER_LENGTH, 1L);
      expected.put(DropReason.BAD_TOTAL_LENGTH, 1L);
      expected.put(DropReason.BAD_CHECKSUM, 1L);
      expected.put(DropReason.UNKNOWN_PEER, 2L);
      awaitTrue(() -> expected.entrySet().stream()
          .allMatch(e -> h1.stats().drops(e.getKey()) - before.get(e.getKey()) >= e.getValue()), Duration.ofSeconds(5));
      for (Map.Entry<DropReason, Long> e : expected.entrySet()) {
        assertEquals(e.getValue(), h1.stats().drops(e.getKey()) - before.get(e.getKey()), e.getKey().toString());
      }
      ByteBuffer got = ByteBuffer.allocate(100);
      sink.configureBlocking(true);
      assertNoDatagram(sink);

      // The same packet from the real peer is delivered: the checks do not block real traffic.
      sendFrom(h2, bed.host(2).underlayIp(), h1Ip, List.of(good));
      got.clear();
      InetSocketAddress from = (InetSocketAddress) receive(sink, got);
      assertEquals(c2.ip().toInetAddress(), from.getAddress());
      assertEquals("legit", new String(got.array(), 0, got.position()));
    }
    assertTrue(bed.cluster.awaitPing(c1.netns(), c2.ip(), Duration.ofSeconds(5)));
    assertEquals("STILL HERE", bed.cluster.tcpExchange(c2.netns(), c1.netns(), c1.ip(), 7100, "still here"));
  }

  @Test
  void garbageDatagramsAreCountedInTrafficDropsByReasonName() throws Exception {
    UdpNetwork h1 = bed.network(1);
    Ip4 h1Ip = bed.host(1).underlayIp();
    Map<String, Long> before = h1.traffic().orElseThrow().drops();
    assertEquals(DropReason.values().length, before.size(), "every reason, by its lower-case name: " + before);
    // Two runts from the peer h2, and a well-formed packet from the rogue host h4 (no lease).
    sendFrom(bed.host(2).netns(), bed.host(2).underlayIp(), h1Ip, List.of(new byte[7], new byte[3]));
    sendFrom(bed.host(4).netns(), bed.host(4).underlayIp(), h1Ip,
        List.of(Packets.udp(bed.container(2).ip(), bed.container(1).ip(), 64, 9999, "rogue")));
    BooleanSupplier counted = () -> {
      Map<String, Long> now = h1.traffic().orElseThrow().drops();
      return now.get("too_short") - before.get("too_short") >= 2
          && now.get("unknown_peer") - before.get("unknown_peer") >= 1;
    };
    awaitTrue(counted, Duration.ofSeconds(5));
    Map<String, Long> after = h1.traffic().orElseThrow().drops();
    assertEquals(2, after.get("too_short") - before.get("too_short"), after.toString());
    assertEquals(1, after.get("unknown_peer") - before.get("unknown_peer"), after.toString());
    assertEquals(h1.stats().drops(DropReason.TOO_SHORT), bed.agents.get(0).metrics().traffic().orElseThrow().drops()
        .get("too_short"), "the agent's metrics carry the same counters");
  }

  private static void sendFrom(NetNs ns, Ip4 local, Ip4 target, List<byte[]> datagrams) throws Exception {
    ns.run(() -> {
      try (DatagramChannel ch = DatagramChannel.open()) {
        ch.bind(new InetSocketAddress(local.toInetAddress(), 0));
        for (byte[] d : datagrams) {
          ch.send(ByteBuffer.wrap(d), new InetSocketAddress(target.toInetAddress(), UdpBackend.DEFAULT_PORT));
        }
      }
      return null;
    });
  }

  private static java.net.SocketAddress receive(DatagramChannel ch, ByteBuffer dst) throws Exception {
    ch.configureBlocking(false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      java.net.SocketAddress a = ch.receive(dst);
      if (a != null) {
        return a;
      }
      Thread.sleep(10);
    }
    throw new SocketTimeoutException("no datagram within 5 s");
  }

  private static void assertNoDatagram(DatagramChannel ch) throws Exception {
    ch.configureBlocking(false);
    Thread.sleep(300);
    ByteBuffer b = ByteBuffer.allocate(100);
    java.net.SocketAddress a = ch.receive(b);
    assertEquals(null, a, () -> "an injected packet got through: " + new String(b.array(), 0, b.position()));
  }

  private static void awaitTrue(BooleanSupplier cond, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
