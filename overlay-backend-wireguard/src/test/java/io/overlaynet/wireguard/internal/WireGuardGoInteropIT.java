package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.testing.Prerequisites;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our handshake and transport messages against a real wireguard-go (issue 16): h2 runs
 * wireguard-go configured as a flannel node's WireGuard would be (its key, port 51820, a peer for
 * h1 with h1's subnet as allowed IPs, a route for it); h1 is our code on a UDP socket, with ICMP
 * packets built and read by the test. Both directions: we initiate and ping through it, and
 * wireguard-go initiates (its ping) and we answer as responder.
 */
@Tag("privileged")
class WireGuardGoInteropIT {

  static final int PORT = 51820;
  static final byte[] OUR_IP = {10, 5, 1, 1};
  static final byte[] ITS_IP = {10, 5, 2, 1};

  @TempDir
  Path dir;

  final SecureRandom random = new SecureRandom();
  TestCluster cluster;
  WireGuardGo peer;
  DatagramChannel socket;
  PrivateKey ours;
  PrivateKey its;

  @BeforeEach
  void setUp() throws Exception {
    Prerequisites.requireRoot();
    WireGuardGo.requireInstalled();
    cluster = TestCluster.builder().withHosts(2).withPrefix("ovwgi").build();
    ours = PrivateKey.generate(random);
    its = PrivateKey.generate(random);
    peer = WireGuardGo.start(cluster.host(2).netns(), dir);
    peer.configure(its, PORT, "10.5.2.1/32", "10.5.1.0/24");
    peer.addPeer(ours.publicKey(), "10.5.1.0/24", cluster.host(1).underlayIp() + ":" + PORT);
    socket = cluster.host(1).netns().run(() -> {
      DatagramChannel ch = DatagramChannel.open();
      ch.bind(new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), PORT));
      return ch;
    });
  }

  @AfterEach
  void tearDown() throws Exception {
    if (socket != null) {
      socket.close();
    }
    if (peer != null) {
      peer.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  InetSocketAddress itsEndpoint() {
    return new InetSocketAddress(cluster.host(2).underlayIp().toInetAddress(), PORT);
  }

  /** Receives one datagram within 5 s, or fails saying what was awaited. */
  byte[] receive(String what) throws Exception {
    socket.configureBlocking(false);
    try (Selector sel = Selector.open()) {
      socket.register(sel, SelectionKey.OP_READ);
      assertTrue(sel.select(5000) > 0, "no " + what + " from wireguard-go within 5 s; its log:\n" + peer.log());
      ByteBuffer b = ByteBuffer.allocate(65535);
      SocketAddress from = socket.receive(b);
      assertEquals(itsEndpoint(), from);
      return Arrays.copyOf(b.array(), b.position());
    }
  }

  void send(byte[] msg) throws Exception {
    socket.send(ByteBuffer.wrap(msg), itsEndpoint());
  }

  /** A transport data message carrying {@code packet}, padded to 16 bytes as the paper says. */
  static byte[] seal(Noise.Keypair k, long counter, byte[] packet) {
    int padded = (packet.length + 15) & ~15;
    byte[] plain = Arrays.copyOf(packet, padded);
    byte[] msg = new byte[Messages.TRANSPORT_HEADER_SIZE + padded + Messages.TAG_SIZE];
    ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 4);
    b.putInt(Messages.TRANSPORT_RECEIVER, k.remoteIndex());
    b.putLong(Messages.TRANSPORT_COUNTER, counter);
    Aead.seal(k.sendKey(), counter, plain, 0, padded, null, msg, Messages.TRANSPORT_CONTENT);
    return msg;
  }

  /** Opens a transport data message for {@code k}; returns the (padded) packet. */
  static byte[] open(Noise.Keypair k, byte[] msg) {
    ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(4, b.getInt(0), "a transport data message");
    assertEquals(k.localIndex(), b.getInt(Messages.TRANSPORT_RECEIVER));
    long counter = b.getLong(Messages.TRANSPORT_COUNTER);
    int len = msg.length - Messages.TRANSPORT_CONTENT;
    byte[] plain = new byte[len - Messages.TAG_SIZE];
    assertTrue(Aead.open(k.receiveKey(), counter, msg, Messages.TRANSPORT_CONTENT, len, null, plain, 0),
        "wireguard-go's transport message authenticates with our receive key");
    return plain;
  }

  /** An IPv4 ICMP echo (type 8) or reply (type 0). */
  static byte[] icmp(int type, byte[] src, byte[] dst, int id, int seq, byte[] payload) {
    byte[] p = new byte[20 + 8 + payload.length];
    ByteBuffer b = ByteBuffer.wrap(p);
    b.put(0, (byte) 0x45).putShort(2, (short) p.length).put(8, (byte) 64).put(9, (byte) 1);
    b.put(12, src).put(16, dst);
    b.putShort(10, checksum(p, 0, 20));
    b.put(20, (byte) type).putShort(24, (short) id).putShort(26, (short) seq).put(28, payload);
    b.putShort(22, checksum(p, 20, p.length - 20));
    return p;
  }

  static short checksum(byte[] p, int off, int len) {
    long sum = 0;
    for (int i = 0; i < len; i += 2) {
      sum += ((p[off + i] & 0xff) << 8) | (i + 1 < len ? p[off + i + 1] & 0xff : 0);
    }
    while ((sum >> 16) != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return (short) ~sum;
  }

  @Test
  void weInitiateAndPingThroughWireGuardGo() throws Exception {
    Noise noise = new Noise(ours, random);
    byte[] init = new byte[Messages.INITIATION_SIZE];
    Noise.Initiation st = noise.initiate(its.publicKey(), null, 0x0badcafe, Tai64n.of(Instant.now()), init);
    send(init);
    byte[] resp = receive("handshake response");
    assertEquals(2, resp[0], "a handshake response");
    assertEquals(Messages.RESPONSE_SIZE, resp.length);
    assertTrue(new CookieChecker(ours.publicKey(), random, System::nanoTime).mac1Valid(resp, 0, resp.length),
        "wireguard-go's MAC1 over our key");
    Noise.Keypair k = noise.consumeResponse(st, resp).orElseThrow(
        () -> new AssertionError("wireguard-go's response does not authenticate"));

    byte[] payload = "overlaynet wireguard interop".getBytes(StandardCharsets.US_ASCII);
    send(seal(k, 0, icmp(8, OUR_IP, ITS_IP, 0x4242, 1, payload)));
    byte[] reply = open(k, receive("ICMP echo reply"));
    assertEquals(0x45, reply[0] & 0xff);
    assertEquals(0, reply[20], "an echo reply");
    assertTrue(Arrays.equals(ITS_IP, Arrays.copyOfRange(reply, 12, 16)) && Arrays.equals(OUR_IP,
        Arrays.copyOfRange(reply, 16, 20)), "from its address to ours");
    assertEquals(0x4242, ByteBuffer.wrap(reply).getShort(24) & 0xffff);
    int total = ByteBuffer.wrap(reply).getShort(2) & 0xffff;
    assertEquals(new String(payload, StandardCharsets.US_ASCII),
        new String(reply, 28, total - 28, StandardCharsets.US_ASCII));
    String dump = peer.dump();
    assertTrue(dump.contains(ours.publicKey().toBase64()), dump);
  }

  @Test
  void wireGuardGoInitiatesAndWeRespond() throws Exception {
    Noise noise = new Noise(ours, random);
    // Its ping to our address makes wireguard-go start a handshake with us.
    Process ping = new ProcessBuilder("ip", "netns", "exec", cluster.host(2).name(), "ping", "-c", "3", "-i", "0.5",
        "10.5.1.1").redirectErrorStream(true).start();
    try {
      byte[] init = receive("handshake initiation");
      assertEquals(1, init[0], "a handshake initiation");
      assertTrue(new CookieChecker(ours.publicKey(), random, System::nanoTime).mac1Valid(init, 0, init.length));
      Noise.Initiated in = noise.consumeInitiation(init).orElseThrow(
          () -> new AssertionError("wireguard-go's initiation does not authenticate"));
      assertEquals(its.publicKey(), in.remoteStatic());
      byte[] resp = new byte[Messages.RESPONSE_SIZE];
      Noise.Keypair k = noise.respond(in, null, 0x7e57ab1e, resp);
      send(resp);
      // wireguard-go now sends what it queued: the echo requests, encrypted for us.
      byte[] msg = receive("transport data");
      while (msg[0] != 4) {
        msg = receive("transport data");
      }
      byte[] request = open(k, msg);
      assertEquals(8, request[20], "an echo request");
      assertTrue(Arrays.equals(ITS_IP, Arrays.copyOfRange(request, 12, 16)));
    } finally {
      ping.destroyForcibly();
    }
  }
}
