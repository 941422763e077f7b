package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Random;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** The fault suite ({@link FaultSuite}) on the udp backend, and garbage on its port. */
class UdpFaultIT extends FaultSuite {

  @Override
  String backend() {
    return "udp";
  }

  @Override
  String prefix() {
    return "ovlfu";
  }

  @Test
  @Order(11)
  void garbageAndSpoofedDatagramsTo8285() throws Exception {
    int sent;
    try (Pinger ping = new Pinger(2, 1)) {
      // From the underlay's own address, which is no node: random bytes, truncated and
      // malformed IPv4 headers, and well-formed packets claiming to come from h2's subnet.
      sent = cluster.underlay().run(() -> flood(100_000));
      Thread.sleep(1000);
      int lost = ping.stop();
      assertTrue(nodes[1].alive(), "the agent died on garbage: " + nodes[1].logTail());
      row("garbage and spoofed datagrams to 8285 (" + sent + " from a non-node address)",
          "agent up; pings c2→c1 through the flooded receive path lost " + lost + " of " + ping.sent());
      assertEquals(0, lost);
    }
    assertTrue(pingOnce(1, containers[2].ip()) && pingOnce(2, containers[1].ip()));
  }

  private int flood(int count) throws Exception {
    Random random = new Random(8285);
    InetSocketAddress target = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), 8285);
    byte[] c1 = containers[1].ip().toInetAddress().getAddress();
    byte[] spoofedSource = subnets[2].address().plus(7).toInetAddress().getAddress();
    try (DatagramChannel ch = DatagramChannel.open()) {
      for (int i = 0; i < count; i++) {
        ByteBuffer b;
        switch (i % 4) {
          case 0 -> { // random bytes
            byte[] r = new byte[random.nextInt(1400)];
            random.nextBytes(r);
            b = ByteBuffer.wrap(r);
          }
          case 1 -> b = ByteBuffer.wrap(new byte[] {0x45, 0, 0}); // a truncated header
          case 2 -> { // IPv4 header with a total length larger than the datagram
            byte[] h = new byte[20];
            h[0] = 0x45;
            h[2] = (byte) 0xff;
            h[3] = (byte) 0xff;
            h[8] = 64;
            h[9] = 1;
            System.arraycopy(spoofedSource, 0, h, 12, 4);
            System.arraycopy(c1, 0, h, 16, 4);
            b = ByteBuffer.wrap(h);
          }
          default -> { // a well-formed ICMP echo from h2's subnet, sent by a non-node
            byte[] p = new byte[28];
            p[0] = 0x45;
            p[3] = 28;
            p[8] = 64;
            p[9] = 1;
            System.arraycopy(spoofedSource, 0, p, 12, 4);
            System.arraycopy(c1, 0, p, 16, 4);
            p[20] = 8;
            b = ByteBuffer.wrap(p);
          }
        }
        ch.send(b, target);
      }
    }
    return count;
  }
}
