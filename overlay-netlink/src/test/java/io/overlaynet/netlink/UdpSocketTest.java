package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.testing.Prerequisites;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link UdpSocket} and {@link Wakeup} on 127.0.0.1: a batch each way, probes, wake-up, close. No root needed. */
class UdpSocketTest {

  private static final Ip4 LOOPBACK = Ip4.parse("127.0.0.1");
  private static final int SLOT = 2048;

  @BeforeEach
  void needLinux() {
    Prerequisites.require(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"),
        "Linux", "run the tests on Linux");
  }

  @Test
  void sendAndReceiveBatchOnLoopback() throws Exception {
    try (UdpSocket a = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         UdpSocket b = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         Wakeup wake = Wakeup.create()) {
      int aPort = a.localPort();
      int bPort = b.localPort();
      assertTrue(bPort > 0);
      assertTrue(b.receiveBufferSize() > 0);
      int n = 3;
      // Datagrams packed back to back at odd offsets, not in the allocation's even slots.
      UdpBatch out = UdpBatch.allocate(n, n * SLOT);
      int off = 7;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < 100 + i; j++) {
          out.payload().put(off + j, (byte) (i + j));
        }
        out.setPayload(i, off, 100 + i).setPeer(i, LOOPBACK, bPort);
        off += 100 + i;
      }
      UdpBatch in = UdpBatch.allocate(n, n * SLOT);
      assertEquals(0, b.receive(in), "nothing queued yet: would block");
      assertEquals(n, a.send(out, 0, n));

      Wakeup.Waiter waiter = wake.newWaiter();
      int got = 0;
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (got < n && System.nanoTime() < deadline) {
        int r = b.receive(in, got, n - got);
        if (r == 0) {
          assertTrue(waiter.await(b.fd(), Wakeup.POLLIN, 1000));
          continue;
        }
        got += r;
      }
      assertEquals(n, got);
      for (int i = 0; i < n; i++) {
        assertEquals(100 + i, in.receivedLength(i), "length " + i);
        assertEquals(i * SLOT, in.offset(i), "received into the slot's own region");
        for (int j = 0; j < 100 + i; j++) {
          assertEquals((byte) (i + j), in.payload().get(i * SLOT + j));
        }
        assertEquals(LOOPBACK, in.peerAddress(i));
        assertEquals(LOOPBACK.toInt(), in.peerAddressAsInt(i));
        assertEquals(aPort, in.peerPort(i));
        assertFalse(in.truncated(i));
        assertEquals(0, in.segmentSize(i), "no GRO: one datagram per slot");
      }
    }
  }

  @Test
  void probesWakeupAndIdempotentClose() throws Exception {
    UdpSocket s = UdpSocket.bind(LOOPBACK, 0, 1 << 16, true);
    s.supportsGso(); // either answer is fine; it must not throw
    s.setGro(false);
    try (Wakeup wake = Wakeup.create()) {
      Wakeup.Waiter waiter = wake.newWaiter();
      assertTrue(waiter.await(s.fd(), Wakeup.POLLIN, 10), "times out: nothing to read, not woken");
      // Without a timeout (-1) only the wake-up can end the wait: it runs on its own thread so
      // that a missing wake-up fails the test after 10 s (margin for load) instead of hanging it.
      CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> waiter.await(s.fd(), Wakeup.POLLIN, -1),
          r -> {
            Thread t = new Thread(r, "udp-waiter");
            t.setDaemon(true);
            t.start();
          });
      wake.signal();
      assertFalse(woken.get(10, TimeUnit.SECONDS), "woken");
    }
    assertTrue(s.isOpen());
    s.close();
    s.close();
    assertFalse(s.isOpen());
    assertThrows(NetlinkException.class, s::localPort);
    assertThrows(IllegalArgumentException.class, () -> UdpSocket.bind(LOOPBACK, 70000, 1, false));
  }
}
