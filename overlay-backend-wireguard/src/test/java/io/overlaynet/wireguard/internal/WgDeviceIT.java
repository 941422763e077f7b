package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our WireGuard device (a TUN device {@code flannel-wg} in h1, as flannel names it, its lease's
 * address /32 and a route for the Network) against wireguard-go in h2, configured as a flannel
 * node's WireGuard: pings both ways through the tunnel, a TCP exchange, garbage counted.
 */
@Tag("privileged")
class WgDeviceIT {

  static final int PORT = 51820;

  @TempDir
  Path dir;

  final SecureRandom random = new SecureRandom();
  TestCluster cluster;
  WireGuardGo peer;
  WgDevice device;
  PrivateKey ours;
  PrivateKey its;

  @BeforeEach
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    WireGuardGo.requireInstalled();
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun");
    cluster = TestCluster.builder().withHosts(2).withPrefix("ovwgd").build();
    ours = PrivateKey.generate(random);
    its = PrivateKey.generate(random);
    peer = WireGuardGo.start(cluster.host(2).netns(), dir);
    peer.configure(its, PORT, "10.5.2.0/32", "10.5.0.0/16");
    peer.addPeer(ours.publicKey(), "10.5.1.0/24", cluster.host(1).underlayIp() + ":" + PORT);

    startDevice(() -> false);
  }

  /** Our device on h1: flannel-wg, its /32 and the Network's route, and h2 as its peer. */
  void startDevice(java.util.function.BooleanSupplier underLoad) throws Exception {
    TunDevice tun = TunDevice.createIn(cluster.host(1).netns(), "flannel-wg",
        TunOptions.DEFAULT.withVnetHeader(fastPath()));
    for (String[] cmd : new String[][] {{"ip", "addr", "add", "10.5.1.0/32", "dev", "flannel-wg"},
        {"ip", "link", "set", "flannel-wg", "mtu", "1420", "up"}, {"ip", "route", "add", "10.5.0.0/16", "dev", "flannel-wg"}}) {
      ok(host1(cmd));
    }
    if (fastPath()) {
      UdpSocket udp = cluster.host(1).netns().run(() -> UdpSocket.bind(cluster.host(1).underlayIp(), PORT, 4 << 20, false));
      device = WgDevice.start(ours, tun, udp, 1420, underLoad);
    } else {
      DatagramChannel udp = cluster.host(1).netns().run(() -> {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT));
        return ch;
      });
      device = WgDevice.start(ours, tun, udp, 1420, underLoad);
    }
    device.setPeers(List.of(new WgDevice.PeerConfig(its.publicKey(), Optional.empty(),
        Optional.of(new InetSocketAddress(cluster.host(2).underlayIp().toInetAddress(), PORT)),
        List.of(IpNet.parse("10.5.2.0/24")), Duration.ZERO)));
  }

  /**
   * Whether our device runs its fast path (vnet header on the TUN device, batched socket) as the
   * backend does; {@link WgDeviceFastPathIT} says yes, this class tests the plain path.
   */
  boolean fastPath() {
    return false;
  }

  @AfterEach
  void tearDown() {
    if (device != null) {
      device.close();
    }
    if (peer != null) {
      peer.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static void ok(WireGuardGo.Result r) {
    assertTrue(r.ok(), r.output());
  }

  WireGuardGo.Result host1(String... cmd) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", cluster.host(1).name()));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return new WireGuardGo.Result(p.exitValue(), out);
  }

  @Test
  void pingsBothWaysAndATcpExchangeGoThroughTheTunnel() throws Exception {
    WireGuardGo.Result out = host1("ping", "-c", "3", "-i", "0.2", "-W", "5", "10.5.2.0");
    assertTrue(out.ok(), "h1 -> wireguard-go: " + out.output() + "\n" + peer.log());
    WireGuardGo.Result back = peer.run("ping", "-c", "3", "-i", "0.2", "-W", "5", "10.5.1.0");
    assertTrue(back.ok(), "wireguard-go -> h1: " + back.output());
    assertTrue(device.handshakes() >= 1);
    String message = "sixteen bytes ok".repeat(1000);
    String reply = cluster.tcpExchange(cluster.host(1).netns(), cluster.host(2).netns(), Ip4.parse("10.5.2.0"), 7000,
        message);
    // The test kit's server answers in capitals, so the 16 kB went over and came back.
    assertTrue(message.toUpperCase(java.util.Locale.ROOT).equals(reply),
        "a 16 kB TCP exchange through the tunnel: " + reply.length() + " bytes came back");
    String dump = peer.dump();
    assertTrue(dump.contains(ours.publicKey().toBase64()), dump);
  }

  @Test
  void bulkTransfersBothWaysArriveIntact() throws Exception {
    assertTrue(host1("ping", "-c", "1", "-W", "5", "10.5.2.0").ok(), peer.log());
    NetNs h1 = cluster.host(1).netns();
    NetNs h2 = cluster.host(2).netns();
    assertTrue(cluster.bulkTransfer(h1, h2, Ip4.parse("10.5.2.0"), 7010, 8 << 20), "8 MiB to wireguard-go intact");
    assertTrue(cluster.bulkTransfer(h2, h1, Ip4.parse("10.5.1.0"), 7011, 8 << 20), "8 MiB from wireguard-go intact");
    // Our side's counters saw both transfers (inner bytes: payload plus TCP/IP headers).
    WgDevice.Traffic t = device.traffic();
    assertTrue(t.txBytes() > 8 << 20 && t.rxBytes() > 8 << 20, t.toString());
    assertTrue(t.txPackets() > (8 << 20) / 1420 && t.rxPackets() > (8 << 20) / 1420, t.toString());
    assertEquals(0, device.drops(WgDevice.Drop.TUN_MALFORMED));
    assertEquals(0, device.drops(WgDevice.Drop.BAD_TRANSPORT));
  }

  @Test
  void aSecondFreshInitiationWithin20msIsDroppedAsAFloodAndOneAfterItIsAnswered() throws Exception {
    // Initiations made with wireguard-go's key (so they authenticate), each with a newer
    // timestamp, sent back to back from h2: only the first is answered.
    Noise theirs = new Noise(its, random);
    java.time.Instant t = java.time.Instant.now();
    byte[][] msgs = new byte[3][];
    for (int i = 0; i < 3; i++) {
      msgs[i] = new byte[Messages.INITIATION_SIZE];
      // 50 ms apart: TAI64N timestamps are whitened to about 16 ms, so closer ones would be equal.
      theirs.initiate(ours.publicKey(), null, 100 + i, Tai64n.of(t.plusMillis(50L * i)), msgs[i]);
    }
    long before = device.handshakes();
    InetSocketAddress to = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT);
    cluster.host(2).netns().run(() -> {
      try (DatagramChannel ch = DatagramChannel.open()) {
        ch.send(ByteBuffer.wrap(msgs[0]), to);
        ch.send(ByteBuffer.wrap(msgs[1]), to);
        Thread.sleep(60);
        ch.send(ByteBuffer.wrap(msgs[2]), to);
      }
      return null;
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (device.handshakes() < before + 2) {
      assertTrue(System.nanoTime() < deadline, "answered: " + (device.handshakes() - before) + ", " + device.drops());
      Thread.sleep(10);
    }
    assertEquals(1, device.drops(WgDevice.Drop.HANDSHAKE_FLOOD), device.drops().toString());
    assertEquals(before + 2, device.handshakes());
  }

  @Test
  void underLoadWeAskWireGuardGoForACookieAndItsRetryWithMac2IsAnswered() throws Exception {
    device.close();
    startDevice(() -> true);
    // wireguard-go initiates (its ping); we answer with a cookie reply, it retries with MAC2.
    WireGuardGo.Result back = peer.run("ping", "-c", "1", "-W", "15", "10.5.1.0");
    assertTrue(back.ok(), "wireguard-go -> h1 under load: " + back.output() + "\n" + peer.log());
    assertTrue(device.drops(WgDevice.Drop.COOKIE) >= 1, "a cookie reply was sent");
    assertTrue(device.handshakes() >= 1);
  }

  @Test
  void garbageAndForgedMessagesAreDroppedAndCounted() throws Exception {
    assertTrue(host1("ping", "-c", "1", "-W", "5", "10.5.2.0").ok());
    // From h2's namespace, to our port: three runts, and a transport message for no session.
    cluster.host(2).netns().run(() -> {
      try (DatagramChannel ch = DatagramChannel.open()) {
        InetSocketAddress to = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT);
        for (int i = 0; i < 3; i++) {
          ch.send(ByteBuffer.wrap(new byte[] {9, 9, 9}), to);
        }
        byte[] forged = new byte[64];
        forged[0] = 4;
        ch.send(ByteBuffer.wrap(forged), to);
      }
      return null;
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (device.drops(WgDevice.Drop.MALFORMED) < 3 || device.drops(WgDevice.Drop.UNKNOWN_INDEX) < 1) {
      assertTrue(System.nanoTime() < deadline, "not counted: malformed " + device.drops(WgDevice.Drop.MALFORMED)
          + ", unknown index " + device.drops(WgDevice.Drop.UNKNOWN_INDEX));
      Thread.sleep(10);
    }
    assertTrue(host1("ping", "-c", "1", "-W", "5", "10.5.2.0").ok(), "the tunnel still works");
  }
}
