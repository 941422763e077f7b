package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.testing.Prerequisites;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link UdpBatch} with {@link UdpSocket} on 127.0.0.1: truncation, UDP GSO and GRO, refused
 * messages, use after close and argument checks. No root needed.
 */
class UdpBatchTest {

  private static final Ip4 LOOPBACK = Ip4.parse("127.0.0.1");

  @BeforeEach
  void needLinux() {
    Prerequisites.require(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"),
        "Linux", "run the tests on Linux");
  }

  /** Receives until {@code want} slots are filled from slot 0 or 5 s pass; returns how many were. */
  private static int receiveAll(UdpSocket s, UdpBatch in, int want) throws Exception {
    int got = 0;
    try (Wakeup wake = Wakeup.create()) {
      Wakeup.Waiter waiter = wake.newWaiter();
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (got < want && System.nanoTime() < deadline) {
        int r = s.receive(in, got, want - got);
        if (r == 0) {
          waiter.await(s.fd(), Wakeup.POLLIN, 200);
        }
        got += r;
      }
    }
    return got;
  }

  private static void fill(UdpBatch b, int off, int len) {
    for (int j = 0; j < len; j++) {
      b.payload().put(off + j, (byte) (j * 7));
    }
  }

  @Test
  void aDatagramLargerThanItsSlotIsReportedTruncated() throws Exception {
    try (UdpSocket a = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         UdpSocket b = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false)) {
      UdpBatch out = UdpBatch.allocate(2, 4096);
      fill(out, 0, 300);
      out.setPayload(0, 0, 300).setPeer(0, LOOPBACK, b.localPort());
      out.setPayload(1, 0, 50).setPeer(1, LOOPBACK, b.localPort());
      assertEquals(2, a.send(out, 0, 2));
      UdpBatch in = UdpBatch.allocate(2, 2 * 64); // 64 bytes of room per slot
      assertEquals(2, receiveAll(b, in, 2));
      assertTrue(in.truncated(0), "300 bytes into 64");
      assertEquals(64, in.receivedLength(0));
      assertEquals((byte) (63 * 7), in.payload().get(63));
      assertFalse(in.truncated(1));
      assertEquals(50, in.receivedLength(1));
    }
  }

  @Test
  void aSegmentSizeSendsATrainOfDatagramsAndGroJoinsThem() throws Exception {
    try (UdpSocket a = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         UdpSocket plain = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         UdpSocket gro = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false)) {
      Prerequisites.require(a.supportsGso(), "UDP GSO (UDP_SEGMENT)", "a Linux kernel 4.18 or newer");
      Prerequisites.require(gro.setGro(true), "UDP GRO (UDP_GRO)", "a Linux kernel 5.0 or newer");
      UdpBatch out = UdpBatch.allocate(2, 8192);
      fill(out, 0, 2500);
      out.setPayload(0, 0, 2500).setPeer(0, LOOPBACK, plain.localPort()).setSegmentSize(0, 1000);
      out.setPayload(1, 0, 2500).setPeer(1, LOOPBACK, gro.localPort()).setSegmentSize(1, 1000);
      assertEquals(2, a.send(out, 0, 2));

      // Without GRO the receiver sees what went on the wire: 1000 + 1000 + 500.
      UdpBatch in = UdpBatch.allocate(4, 4 * 2048);
      assertEquals(3, receiveAll(plain, in, 3));
      for (int i = 0; i < 3; i++) {
        assertEquals(i < 2 ? 1000 : 500, in.receivedLength(i), "datagram " + i);
        assertEquals(0, in.segmentSize(i));
        assertEquals((byte) ((i * 1000 + 1) * 7), in.payload().get(in.offset(i) + 1));
      }
      // With GRO the train arrives as one message, with its segment size.
      UdpBatch joined = UdpBatch.allocate(1, 65536);
      assertEquals(1, receiveAll(gro, joined, 1));
      assertEquals(2500, joined.receivedLength(0));
      assertEquals(1000, joined.segmentSize(0));
      assertFalse(joined.truncated(0));
      assertEquals((byte) (2499 * 7), joined.payload().get(2499));
    }
  }

  @Test
  void aRefusedMessageFailsAloneAndNamesItsPeer() throws Exception {
    try (UdpSocket a = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         UdpSocket b = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false)) {
      UdpBatch out = UdpBatch.allocate(3, 3 * 100);
      out.setPeer(0, LOOPBACK, b.localPort()).setPeer(1, LOOPBACK, 0).setPeer(2, LOOPBACK, b.localPort());
      assertEquals(1, a.send(out, 0, 3), "sendmmsg stops before the message it cannot send");
      NetlinkException e = assertThrows(NetlinkException.class, () -> a.send(out, 1, 2));
      assertEquals(22, e.errno(), "EINVAL: UDP to port 0");
      assertTrue(e.getMessage().contains("127.0.0.1:0 (slot 1)"), e.getMessage());
      assertEquals(1, a.send(out, 2, 1));
      assertEquals(2, receiveAll(b, UdpBatch.allocate(2, 200), 2));
    }
  }

  @Test
  void useAfterCloseIsAClearError() throws Exception {
    UdpSocket s = UdpSocket.bind(LOOPBACK, 0, 1 << 16, false);
    UdpBatch batch = UdpBatch.allocate(1, 100).setPeer(0, LOOPBACK, 9);
    s.close();
    NetlinkException send = assertThrows(NetlinkException.class, () -> s.send(batch, 0, 1));
    assertEquals(9, send.errno(), "EBADF");
    assertTrue(send.getMessage().contains("sendmmsg: socket closed"), send.getMessage());
    NetlinkException receive = assertThrows(NetlinkException.class, () -> s.receive(batch));
    assertTrue(receive.getMessage().contains("recvmmsg: socket closed"), receive.getMessage());
    assertFalse(s.setGro(true));
    assertFalse(s.supportsGso());
  }

  @Test
  void startsDividedEvenlyAndKeepsWhatIsSet() {
    UdpBatch b = UdpBatch.allocate(4, 1000);
    assertEquals(4, b.slots());
    assertEquals(1000, b.payload().capacity());
    assertTrue(b.payload().isDirect());
    assertSame(b.payload(), b.payload());
    assertEquals(750, b.offset(3));
    assertEquals(250, b.length(3));
    assertEquals(Ip4.ANY, b.peerAddress(0));
    assertSame(b, b.setPayload(2, 10, 990).setPeer(2, Ip4.parse("192.0.2.12"), 8285).setSegmentSize(2, 1400));
    assertEquals(10, b.offset(2));
    assertEquals(990, b.length(2));
    assertEquals(Ip4.parse("192.0.2.12"), b.peerAddress(2));
    assertEquals(8285, b.peerPort(2));
    assertEquals(1400, b.segmentSize(2));
    assertEquals("UdpBatch{4 slots, 1000 payload bytes}", b.toString());
  }

  @Test
  void badArgumentsNameTheProblem() throws Exception {
    UdpBatch b = UdpBatch.allocate(4, 1000);
    assertMessage("slot 4 out of range 0..3", () -> b.setPayload(4, 0, 1));
    assertMessage("slot -1 out of range 0..3", () -> b.receivedLength(-1));
    assertMessage("slot 1: region [900, +200) outside the payload area of 1000 bytes", () -> b.setPayload(1, 900, 200));
    assertMessage("slot 1: region [-1, +2) outside", () -> b.setPayload(1, -1, 2));
    assertMessage("slot 0: port out of range: 65536", () -> b.setPeer(0, Ip4.ANY, 65536));
    assertMessage("slot 0: segment size out of range 0..65535: 70000", () -> b.setSegmentSize(0, 70000));
    assertMessage("slots must be in 1..65536: 0", () -> UdpBatch.allocate(0, 10));
    assertMessage("payload size must not be negative: -1", () -> UdpBatch.allocate(1, -1));
    try (UdpSocket s = UdpSocket.bind(LOOPBACK, 0, 1 << 16, false)) {
      assertMessage("slots 3 + 2 outside the batch of 4", () -> s.send(b, 3, 2));
      assertMessage("slots 0 + 0 outside the batch of 4", () -> s.receive(b, 0, 0));
    }
  }

  private static void assertMessage(String expected, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }
}
