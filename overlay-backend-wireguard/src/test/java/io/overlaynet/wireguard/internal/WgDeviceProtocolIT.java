package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol's life with a real peer (issue 16): our device ({@code flannel-wg} in h1, lease
 * 10.5.1.0/24) beside wireguard-go in h2 configured as a flannel node's WireGuard (lease
 * 10.5.2.0/24, port 51820, a peer and route per lease); our peer is configured as the backend
 * does from a lease ({@link WgDevice#setPeers}). Covered: rekeys (REKEY_AFTER_TIME) under TCP
 * streams both ways checked by SHA-256, and the rekey of a keypair that is only received with; a
 * peer that restarts with its key (a new handshake after KEEPALIVE_TIMEOUT + REKEY_TIMEOUT of
 * silence) or with a new key (its new lease); roaming to a new address and port, and a
 * reconfigured endpoint; preshared keys, and a mismatch counted; persistent and passive
 * keepalives, the latter during a one-way stream too; garbage, forgeries and replays dropped and
 * counted by reason. Timers that would take minutes run scaled down ({@link Protocol.Timers});
 * each test takes seconds.
 */
@Tag("privileged")
class WgDeviceProtocolIT {

  static final int PORT = 51820;
  static final Ip4 OURS = Ip4.parse("10.5.1.0");
  static final Ip4 ITS = Ip4.parse("10.5.2.0");

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
    cluster = TestCluster.builder().withHosts(2).withPrefix("ovwgp").build();
    ours = PrivateKey.generate(random);
    its = PrivateKey.generate(random);
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

  // ------------------------------------------------------------------ set-up

  /** wireguard-go in h2 as a flannel node with key {@code key}: h1's lease as its peer at {@code ourEndpoint}. */
  void startWireGuardGo(PrivateKey key, String ourEndpoint) throws Exception {
    peer = WireGuardGo.start(cluster.host(2).netns(), dir);
    peer.configure(key, PORT, ITS + "/32", "10.5.0.0/16");
    peer.addPeer(ours.publicKey(), "10.5.1.0/24", ourEndpoint);
  }

  void startWireGuardGo(PrivateKey key) throws Exception {
    startWireGuardGo(key, cluster.host(1).underlayIp() + ":" + PORT);
  }

  /** Our device on h1 as the backend sets it up (flannel-wg, its /32, the Network's route), by {@code timers}. */
  void startDevice(Protocol.Timers timers) throws Exception {
    TunDevice tun = TunDevice.createIn(cluster.host(1).netns(), "flannel-wg", TunOptions.DEFAULT);
    // No IPv6 on it: the kernel's link-local chatter (router solicitations, MLD) would be counted
    // as NO_PEER, and these tests count every drop.
    for (String[] cmd : new String[][] {{"sysctl", "-q", "-w", "net.ipv6.conf.flannel-wg.disable_ipv6=1"},
        {"ip", "addr", "add", OURS + "/32", "dev", "flannel-wg"},
        {"ip", "link", "set", "flannel-wg", "mtu", "1420", "up"}, {"ip", "route", "add", "10.5.0.0/16", "dev", "flannel-wg"}}) {
      ok(in(1, cmd));
    }
    DatagramChannel udp = cluster.host(1).netns().run(() -> {
      DatagramChannel ch = DatagramChannel.open();
      ch.bind(new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT));
      return ch;
    });
    device = WgDevice.start(ours, tun, udp, 1420, () -> false, timers);
  }

  /** Our one peer, as the backend configures it from its lease (10.5.2.0/24). */
  void setPeer(PublicKey key, Optional<PresharedKey> psk, InetSocketAddress endpoint, Duration keepalive) {
    device.setPeers(List.of(new WgDevice.PeerConfig(key, psk, Optional.of(endpoint),
        List.of(IpNet.parse("10.5.2.0/24")), keepalive)));
  }

  InetSocketAddress h2(int port) {
    return new InetSocketAddress(cluster.host(2).underlayIp().toInetAddress(), port);
  }

  static InetSocketAddress at(String ip, int port) {
    return new InetSocketAddress(Ip4.parse(ip).toInetAddress(), port);
  }

  // ------------------------------------------------------------------ helpers

  static void ok(WireGuardGo.Result r) {
    assertTrue(r.ok(), r.output());
  }

  /** Runs a command in host {@code host}'s namespace. */
  WireGuardGo.Result in(int host, String... cmd) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", cluster.host(host).name()));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return new WireGuardGo.Result(p.exitValue(), out);
  }

  /** One ping from host {@code from} to {@code to}, waiting up to {@code seconds}. */
  boolean ping(int from, Ip4 to, int seconds) throws Exception {
    return in(from, "ping", "-n", "-q", "-c", "1", "-W", String.valueOf(seconds), to.toString()).ok();
  }

  /** Pings (1 s each) until a reply comes, for up to {@code tries} pings. */
  boolean pingWithin(int from, Ip4 to, int tries) throws Exception {
    for (int i = 0; i < tries; i++) {
      if (ping(from, to, 1)) {
        return true;
      }
    }
    return false;
  }

  void assertPingsBothWays(String when) throws Exception {
    assertTrue(ping(1, ITS, 5), when + ": h1 -> wireguard-go\n" + peer.dump());
    assertTrue(ping(2, OURS, 5), when + ": wireguard-go -> h1\n" + peer.dump());
  }

  static void await(BooleanSupplier condition, Duration timeout, Supplier<String> what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, () -> "within " + timeout + ": " + what.get());
      Thread.sleep(20);
    }
  }

  Optional<InetSocketAddress> ourEndpointOfIt() {
    return device.peerStates().stream().filter(s -> s.publicKey().equals(peerKey())).findFirst()
        .flatMap(WgDevice.PeerState::endpoint);
  }

  PublicKey peerKey() {
    return its.publicKey();
  }

  /**
   * Streams random bytes over TCP from {@code client} to {@code server} ({@code serverIp:port})
   * for {@code duration}, in 16 kB writes with a pause between, and checks that the SHA-256 of
   * what arrived is that of what was sent; returns the bytes sent.
   */
  CompletableFuture<Long> stream(NetNs client, NetNs server, Ip4 serverIp, int port, Duration duration)
      throws Exception {
    ServerSocket listener = server.run(() -> {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(serverIp.toInetAddress(), port));
      s.setSoTimeout(10_000);
      return s;
    });
    Socket socket = client.run(() -> {
      Socket s = new Socket();
      s.connect(new InetSocketAddress(serverIp.toInetAddress(), port), 5_000);
      return s;
    });
    CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
      try (listener; Socket s = listener.accept(); InputStream in = s.getInputStream()) {
        s.setSoTimeout(10_000);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[65536];
        for (int n; (n = in.read(buf)) >= 0; ) {
          sha.update(buf, 0, n);
        }
        return sha.digest();
      } catch (Exception e) {
        throw new IllegalStateException("receiving the stream to " + serverIp, e);
      }
    });
    return CompletableFuture.supplyAsync(() -> {
      try (socket; OutputStream out = socket.getOutputStream()) {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[16384];
        long sent = 0;
        long end = System.nanoTime() + duration.toNanos();
        do {
          random.nextBytes(chunk);
          out.write(chunk);
          sha.update(chunk);
          sent += chunk.length;
          Thread.sleep(5);
        } while (System.nanoTime() < end);
        socket.shutdownOutput();
        assertArrayEquals(sha.digest(), received.get(15, TimeUnit.SECONDS),
            "the SHA-256 of the " + sent + " bytes streamed to " + serverIp + " over the tunnel");
        return sent;
      } catch (Exception e) {
        throw new IllegalStateException("streaming to " + serverIp, e);
      }
    });
  }

  /** A TCP stream each way at once for {@code duration}, checked by SHA-256. */
  void streamBothWays(Duration duration) throws Exception {
    CompletableFuture<Long> there = stream(cluster.host(1).netns(), cluster.host(2).netns(), ITS, 7001, duration);
    CompletableFuture<Long> back = stream(cluster.host(2).netns(), cluster.host(1).netns(), OURS, 7002, duration);
    long a = there.get(60, TimeUnit.SECONDS);
    long b = back.get(60, TimeUnit.SECONDS);
    assertTrue(a > 0 && b > 0);
  }

  static final Map<WgDevice.Drop, Long> ZERO = new EnumMap<>(WgDevice.Drop.class);

  static {
    for (WgDevice.Drop d : WgDevice.Drop.values()) {
      ZERO.put(d, 0L);
    }
  }

  /** The drop counters that changed since {@code before}, by how much. */
  Map<WgDevice.Drop, Long> dropsSince(Map<WgDevice.Drop, Long> before) {
    Map<WgDevice.Drop, Long> d = new EnumMap<>(WgDevice.Drop.class);
    device.drops().forEach((k, v) -> {
      if (v - before.get(k) != 0) {
        d.put(k, v - before.get(k));
      }
    });
    return d;
  }

  // ------------------------------------------------------------------ tests

  @Test
  void weRekeyAfterRekeyAfterTimeWhileTcpStreamsBothWaysCarryOn() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT.withRekeyAfterTime(Duration.ofMillis(1500)));
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    assertTrue(ping(1, ITS, 5), "we initiate on demand (a packet for a peer without a session)\n" + peer.log());
    assertEquals(1, device.handshakes());
    long first = peer.show("latest-handshakes", ours.publicKey(), 0);
    assertTrue(first > 0, peer.dump());

    // Streams each way for 4 s: we are the initiator, so we rekey after 1.5 s, and again after 3 s.
    streamBothWays(Duration.ofSeconds(4));
    assertTrue(device.handshakes() >= 3, "rekeyed twice under load: handshakes " + device.handshakes());
    long latest = peer.show("latest-handshakes", ours.publicKey(), 0);
    assertTrue(latest > first, "wireguard-go saw a newer handshake: " + first + " then " + latest);
    assertEquals(Map.of(), dropsSince(ZERO), "nothing dropped across the rekeys");
    assertPingsBothWays("after the rekeys");
  }

  @Test
  void aPeerThatRestartsWithANewKeyIsReachedOnceItsNewLeaseIsConfigured() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT);
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    assertPingsBothWays("before the restart");

    // The node restarts with a fresh key (flannel writes a new key file and a new lease).
    peer.close();
    PrivateKey fresh = PrivateKey.generate(random);
    its = fresh;
    startWireGuardGo(fresh);
    long badHandshakes = device.drops(WgDevice.Drop.BAD_HANDSHAKE);
    assertFalse(ping(2, OURS, 1), "its new key is no peer of ours yet");
    await(() -> device.drops(WgDevice.Drop.BAD_HANDSHAKE) > badHandshakes, Duration.ofSeconds(5),
        () -> "its initiation under the new key is counted as BAD_HANDSHAKE");
    assertFalse(ping(1, ITS, 1), "our old session means nothing to the restarted peer");

    // The backend sees the new lease and replaces the peer.
    setPeer(fresh.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    assertEquals(List.of(fresh.publicKey()), device.peerStates().stream().map(WgDevice.PeerState::publicKey).toList());
    assertPingsBothWays("after the new key was configured");
    streamBothWays(Duration.ofMillis(500));
  }

  @Test
  void aPeerThatRestartsWithItsKeyIsReachedAgainByANewHandshakeWhenItStopsAnswering() throws Exception {
    startWireGuardGo(its);
    // KEEPALIVE_TIMEOUT + REKEY_TIMEOUT is 15 s in the paper, 2 s here.
    startDevice(Protocol.Timers.DEFAULT.withKeepaliveTimeout(Duration.ofSeconds(1)).withRekeyTimeout(Duration.ofSeconds(1)));
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    assertTrue(ping(1, ITS, 5), "before the restart");
    assertEquals(1, device.handshakes());

    // The node restarts, keeping its key (flanneld restarted, its key file kept): our session is
    // still good for minutes on our side, and means nothing to it.
    peer.close();
    startWireGuardGo(its);
    long start = System.nanoTime();
    assertTrue(pingWithin(1, ITS, 6), "h1 -> wireguard-go resumes: data went out and nothing came back for"
        + " KEEPALIVE_TIMEOUT + REKEY_TIMEOUT, so we handshake again (paper §6.5)\n" + peer.log());
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(2, device.handshakes(), "one new handshake");
    assertTrue(took >= 1900, "not before KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: " + took + " ms");
    assertTrue(ping(2, OURS, 5), "wireguard-go -> h1");
  }

  @Test
  void theEndpointFollowsTheLastAuthenticatedSourceAndAReconfiguredOneIsUsed() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT);
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    assertPingsBothWays("at first");
    assertEquals(Optional.of(h2(PORT)), ourEndpointOfIt());

    // Its underlay address changes (192.0.2.12 -> .22); it speaks first, we follow it. wireguard-go
    // keeps sending from the source address it last used ("sticky sockets") while the route's
    // interface stays the same; a new fwmark makes it forget that address (device.BindSetMark).
    ok(in(2, "ip", "addr", "del", cluster.host(2).underlayIp() + "/24", "dev", "eth0"));
    ok(in(2, "ip", "addr", "add", "192.0.2.22/24", "dev", "eth0"));
    peer.set("fwmark", "0x1");
    assertTrue(pingWithin(2, OURS, 5), "wireguard-go -> h1 from its new address\n" + peer.log());
    assertEquals(Optional.of(at("192.0.2.22", PORT)), ourEndpointOfIt(), "roamed to its new address");
    assertTrue(ping(1, ITS, 5), "h1 -> wireguard-go at its new address, no reconfiguration");

    // Its listen port changes: the same.
    peer.set("listen-port", "51821");
    assertTrue(ping(2, OURS, 5), "wireguard-go -> h1 from its new port\n" + peer.log());
    assertEquals(Optional.of(at("192.0.2.22", 51821)), ourEndpointOfIt(), "roamed to its new port");
    assertTrue(ping(1, ITS, 5), "h1 -> wireguard-go at its new port");

    // It moves again (port 51822, then .32) and stays silent: only its new lease tells us.
    peer.set("listen-port", "51822");
    ok(in(2, "ip", "addr", "del", "192.0.2.22/24", "dev", "eth0"));
    ok(in(2, "ip", "addr", "add", "192.0.2.32/24", "dev", "eth0"));
    assertFalse(ping(1, ITS, 1), "the old endpoint is gone");
    setPeer(its.publicKey(), Optional.empty(), at("192.0.2.32", 51822), Duration.ZERO);
    assertEquals(Optional.of(at("192.0.2.32", 51822)), ourEndpointOfIt());
    assertPingsBothWays("after the endpoint was reconfigured");
  }

  @Test
  void presharedKeysOnBothSidesHandshakeAndAMismatchIsCounted() throws Exception {
    PresharedKey psk = PresharedKey.generate(random);
    startWireGuardGo(its);
    peer.setPresharedKey(ours.publicKey(), PresharedKey.generate(random));
    startDevice(Protocol.Timers.DEFAULT);
    setPeer(its.publicKey(), Optional.of(psk), h2(PORT), Duration.ZERO);

    // Another PSK on its side: its response (the PSK enters there, psk2) does not authenticate.
    assertFalse(ping(1, ITS, 1), "no tunnel with mismatched preshared keys");
    await(() -> device.drops(WgDevice.Drop.BAD_HANDSHAKE) >= 1, Duration.ofSeconds(5),
        () -> "its response under another PSK is counted as BAD_HANDSHAKE: " + device.drops());
    assertEquals(0, device.handshakes());

    peer.setPresharedKey(ours.publicKey(), psk);
    assertTrue(ping(1, ITS, 5), "h1 -> wireguard-go, the same PSK on both sides\n" + peer.log());
    assertTrue(ping(2, OURS, 5), "wireguard-go -> h1 with the PSK");
    assertTrue(device.handshakes() >= 1);
  }

  @Test
  void persistentKeepalivesReachWireGuardGoWhileIdle() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT);
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ofSeconds(1));
    assertTrue(ping(1, ITS, 5));
    long before = peer.show("transfer", ours.publicKey(), 0);
    Thread.sleep(3200);
    long keepalives = (peer.show("transfer", ours.publicKey(), 0) - before) / Messages.TRANSPORT_OVERHEAD;
    // A keepalive is an empty transport message, 32 bytes as wireguard-go counts it.
    assertTrue(keepalives >= 2 && keepalives <= 4, "one keepalive a second while idle for 3.2 s: " + keepalives);
  }

  @Test
  void aPersistentKeepaliveBringsTheTunnelUpWithoutTraffic() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT);
    // Nothing to send: the keepalive itself needs a session, so it starts a handshake (as
    // wireguard-go's does), and a node behind NAT becomes reachable before it sends anything.
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ofSeconds(1));
    await(() -> device.handshakes() == 1, Duration.ofSeconds(3), () -> "no handshake without traffic");
    long latest = peer.show("latest-handshakes", ours.publicKey(), 0);
    assertTrue(latest > 0, "wireguard-go saw the handshake: " + peer.dump());
    assertTrue(ping(2, OURS, 5), "wireguard-go -> h1 over the session the keepalive made");
  }

  @Test
  void aPeerThatOnlyReceivesSendsOnePassiveKeepaliveAfterKeepaliveTimeout() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT.withKeepaliveTimeout(Duration.ofSeconds(1)));
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    // A UDP listener on h1, so that a datagram from h2 gets no answer (no ICMP either).
    try (DatagramChannel sink = cluster.host(1).netns().run(() -> {
      DatagramChannel ch = DatagramChannel.open();
      ch.bind(new InetSocketAddress(OURS.toInetAddress(), 9999));
      return ch;
    })) {
      cluster.host(2).netns().run(() -> {
        try (DatagramChannel ch = DatagramChannel.open()) {
          ch.send(ByteBuffer.wrap("one way".getBytes(StandardCharsets.US_ASCII)),
              new InetSocketAddress(OURS.toInetAddress(), 9999));
        }
        return null;
      });
      // wireguard-go initiates, we respond, its datagram arrives; we send nothing back...
      CompletableFuture<SocketAddress> arrived = CompletableFuture.supplyAsync(() -> {
        try {
          return sink.receive(ByteBuffer.allocate(64));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      arrived.get(5, TimeUnit.SECONDS);
      long rx = peer.show("transfer", ours.publicKey(), 0);
      // ...but KEEPALIVE_TIMEOUT (1 s here) later one keepalive, so that it knows we are there.
      await(() -> {
        try {
          return peer.show("transfer", ours.publicKey(), 0) > rx;
        } catch (IOException | InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }, Duration.ofSeconds(3), () -> "no passive keepalive reached wireguard-go");
      long after = peer.show("transfer", ours.publicKey(), 0);
      assertEquals(Messages.TRANSPORT_OVERHEAD, after - rx, "one keepalive, 32 bytes");
      Thread.sleep(1500);
      assertEquals(after, peer.show("transfer", ours.publicKey(), 0), "and only one: nothing new was received");
    }
  }

  /** A UDP listener on h1 (10.5.1.0:9999) that counts what arrives: datagrams get no answer, no ICMP either. */
  final class Sink implements AutoCloseable {
    final DatagramChannel channel;
    final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();

    Sink() throws Exception {
      channel = cluster.host(1).netns().run(() -> {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(OURS.toInetAddress(), 9999));
        return ch;
      });
      Thread t = new Thread(() -> {
        ByteBuffer b = ByteBuffer.allocate(2048);
        try {
          while (true) {
            b.clear();
            channel.receive(b);
            received.incrementAndGet();
          }
        } catch (IOException e) {
          // closed
        }
      }, "wg-sink");
      t.setDaemon(true);
      t.start();
    }

    /** Sends {@code count} datagrams from h2 to the sink, one every {@code interval}; returns when done. */
    void streamFromIt(int count, Duration interval) throws Exception {
      cluster.host(2).netns().run(() -> {
        try (DatagramChannel ch = DatagramChannel.open()) {
          for (int i = 0; i < count; i++) {
            ch.send(ByteBuffer.wrap(("datagram " + i).getBytes(StandardCharsets.US_ASCII)),
                new InetSocketAddress(OURS.toInetAddress(), 9999));
            Thread.sleep(interval.toMillis());
          }
        }
        return null;
      });
    }

    void awaitReceived(int count) throws InterruptedException {
      await(() -> received.get() >= count, Duration.ofSeconds(3), () -> received.get() + " of " + count
          + " datagrams arrived; drops " + device.drops());
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  @Test
  void duringAOneWayStreamWeSendAKeepaliveEveryKeepaliveTimeout() throws Exception {
    startWireGuardGo(its);
    startDevice(Protocol.Timers.DEFAULT.withKeepaliveTimeout(Duration.ofSeconds(1)));
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    try (Sink sink = new Sink()) {
      assertTrue(ping(2, OURS, 5));
      long rx = peer.show("transfer", ours.publicKey(), 0);
      // 3 s of datagrams from wireguard-go and nothing from us but keepalives: one KEEPALIVE_TIMEOUT
      // (1 s here) after the first data we did not answer, and again (wireguard-go would otherwise
      // take our silence for a lost session after 15 s and handshake anew).
      long start = System.nanoTime();
      sink.streamFromIt(150, Duration.ofMillis(20));
      long keepalives = (peer.show("transfer", ours.publicKey(), 0) - rx) / Messages.TRANSPORT_OVERHEAD;
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      assertTrue(keepalives >= 2 && keepalives <= seconds + 1,
          "keepalives during a one-way stream of " + seconds + "+ s: " + keepalives);
      sink.awaitReceived(150);
    }
  }

  @Test
  void asTheInitiatorThatOnlyReceivesWeRekeyBeforeTheKeypairExpires() throws Exception {
    startWireGuardGo(its);
    // REJECT_AFTER_TIME 3 s here (180 s in the paper), so REJECT - KEEPALIVE - REKEY_TIMEOUT is 1.5 s.
    Protocol.Timers timers = Protocol.Timers.DEFAULT.withKeepaliveTimeout(Duration.ofSeconds(1))
        .withRekeyTimeout(Duration.ofMillis(500)).withRekeyAfterTime(Duration.ofMillis(2500))
        .withRejectAfterTime(Duration.ofSeconds(3));
    startDevice(timers);
    setPeer(its.publicKey(), Optional.empty(), h2(PORT), Duration.ZERO);
    try (Sink sink = new Sink()) {
      assertTrue(ping(1, ITS, 5), "we initiate");
      assertEquals(1, device.handshakes());
      // 4 s of datagrams from wireguard-go, past our keypair's 3 s; we send only keepalives, so
      // REKEY_AFTER_TIME (checked when sending data) never comes: we rekey on receiving.
      sink.streamFromIt(200, Duration.ofMillis(20));
      sink.awaitReceived(200);
      assertTrue(device.handshakes() >= 3, "rekeyed on receive, twice: handshakes " + device.handshakes());
      assertEquals(Map.of(), dropsSince(ZERO), "nothing dropped: no message came for an expired keypair");
    }
  }

  /**
   * A relay on h1 between wireguard-go and our device that keeps the last message of each type
   * wireguard-go sent: wireguard-go's endpoint for us is the relay, and it initiates, so both
   * sides send through it.
   */
  final class Relay implements AutoCloseable {
    final DatagramChannel channel;
    final InetSocketAddress address;
    final Map<Integer, byte[]> lastFromIt = new java.util.concurrent.ConcurrentHashMap<>();
    final Thread thread;

    Relay(int port) throws Exception {
      address = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), port);
      channel = cluster.host(1).netns().run(() -> {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(address);
        return ch;
      });
      InetSocketAddress device = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT);
      InetSocketAddress it = h2(PORT);
      thread = new Thread(() -> {
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (channel.isOpen()) {
          try {
            b.clear();
            SocketAddress from = channel.receive(b);
            b.flip();
            if (from.equals(it)) {
              if (b.remaining() > Messages.TRANSPORT_OVERHEAD || b.get(0) != 4) {
                lastFromIt.put((int) b.get(0), Arrays.copyOf(b.array(), b.limit()));
              }
              channel.send(b, device);
            } else {
              channel.send(b, it);
            }
          } catch (IOException e) {
            return;
          }
        }
      }, "wg-relay");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() throws Exception {
      channel.close();
      thread.join(2000);
    }
  }

  @Test
  void garbageForgeriesAndReplaysAreDroppedAndCountedAndTrafficGoesOn() throws Exception {
    try (Relay relay = new Relay(51900)) {
      startWireGuardGo(its, relay.address.getAddress().getHostAddress() + ":" + relay.address.getPort());
      startDevice(Protocol.Timers.DEFAULT);
      setPeer(its.publicKey(), Optional.empty(), relay.address, Duration.ZERO);
      assertTrue(ping(2, OURS, 5), "wireguard-go -> h1 through the relay\n" + peer.log());
      assertEquals(Optional.of(relay.address), ourEndpointOfIt());
      byte[] initiation = relay.lastFromIt.get(1);
      byte[] data = relay.lastFromIt.get(4);
      assertTrue(initiation != null && data != null, "captured its initiation and a data message");

      Map<WgDevice.Drop, Long> before = device.drops();
      Map<WgDevice.Drop, Long> expected = new EnumMap<>(WgDevice.Drop.class);
      List<byte[]> sent = new ArrayList<>();
      // Random datagrams, 0 to 200 bytes, whose type word is no type (a reserved byte is not zero).
      for (int i = 0; i < 40; i++) {
        byte[] junk = new byte[random.nextInt(201)];
        random.nextBytes(junk);
        if (junk.length >= 4) {
          junk[3] |= 1;
        }
        sent.add(junk);
      }
      // Truncated messages: a transport message cut inside its header, a runt of an initiation.
      sent.add(Arrays.copyOf(data, 20));
      sent.add(Arrays.copyOf(initiation, 100));
      expected.put(WgDevice.Drop.MALFORMED, 42L);
      // An initiation-sized message of random bytes: MAC1 is not for our key.
      byte[] fakeInitiation = new byte[Messages.INITIATION_SIZE];
      random.nextBytes(fakeInitiation);
      fakeInitiation[0] = 1;
      fakeInitiation[1] = fakeInitiation[2] = fakeInitiation[3] = 0;
      sent.add(fakeInitiation);
      expected.put(WgDevice.Drop.BAD_MAC1, 1L);
      // A cookie reply of random bytes (for no handshake of ours), a transport message of random
      // bytes (for no session of ours).
      byte[] fakeCookie = new byte[Messages.COOKIE_REPLY_SIZE];
      random.nextBytes(fakeCookie);
      fakeCookie[0] = 3;
      fakeCookie[1] = fakeCookie[2] = fakeCookie[3] = 0;
      sent.add(fakeCookie);
      expected.put(WgDevice.Drop.COOKIE, 1L);
      byte[] fakeTransport = new byte[Messages.TRANSPORT_OVERHEAD + 64];
      random.nextBytes(fakeTransport);
      fakeTransport[0] = 4;
      fakeTransport[1] = fakeTransport[2] = fakeTransport[3] = 0;
      sent.add(fakeTransport);
      expected.put(WgDevice.Drop.UNKNOWN_INDEX, 1L);
      // Its captured initiation again: authentic, but its timestamp is not newer.
      sent.add(initiation);
      expected.put(WgDevice.Drop.REPLAYED_HANDSHAKE, 1L);
      // Its captured data message with one bit flipped: does not authenticate.
      byte[] forged = data.clone();
      forged[Messages.TRANSPORT_CONTENT + 1] ^= 1;
      sent.add(forged);
      expected.put(WgDevice.Drop.BAD_TRANSPORT, 1L);
      // Its captured data message, twice: authentic, but its counter was seen.
      sent.add(data);
      sent.add(data);
      expected.put(WgDevice.Drop.REPLAYED_TRANSPORT, 2L);

      // From another source (h2, a new port): none of this may move the endpoint either.
      cluster.host(2).netns().run(() -> {
        try (DatagramChannel ch = DatagramChannel.open()) {
          InetSocketAddress to = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT);
          for (byte[] m : sent) {
            ch.send(ByteBuffer.wrap(m), to);
          }
        }
        return null;
      });
      await(() -> dropsSince(before).equals(expected), Duration.ofSeconds(5),
          () -> "drops " + dropsSince(before) + ", expected " + expected);
      Thread.sleep(200);
      assertEquals(expected, dropsSince(before), "each counted once, under its reason");
      assertEquals(Optional.of(relay.address), ourEndpointOfIt(), "no unauthenticated source was followed");
      assertPingsBothWays("after the garbage");
    }
  }
}
