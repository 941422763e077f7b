package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlaynet.ip.Ip4;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link UdpSocket} and {@link Wakeup} on 127.0.0.1: a batch each way, probes, wake-up, close. No root needed. */
class UdpSocketTest {

  private static final Ip4 LOOPBACK = Ip4.parse("127.0.0.1");
  private static final int MMSG = 64;
  private static final int IOV = 16;
  private static final int SLOT = 2048;

  @BeforeEach
  void needLinux() {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"), "Linux only");
  }

  @Test
  void sendAndReceiveBatchOnLoopback() throws Exception {
    try (UdpSocket a = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         UdpSocket b = UdpSocket.bind(LOOPBACK, 0, 1 << 20, false);
         Wakeup wake = Wakeup.create()) {
      int bPort = b.localPort();
      assertTrue(bPort > 0);
      assertTrue(b.receiveBufferSize() > 0);
      int n = 3;
      Batch out = new Batch(n);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < 100 + i; j++) {
          out.pkts.put(i * SLOT + j, (byte) (i + j));
        }
        out.prepare(i, 100 + i);
        UdpSocket.writeSockaddr(out.ctl, out.saOff(i), LOOPBACK.toInt(), bPort);
      }
      Batch in = new Batch(n);
      for (int i = 0; i < n; i++) {
        in.prepare(i, SLOT);
      }
      assertEquals(-NativeIo.EAGAIN, b.receiveBatch(in.ctlAddr, n), "nothing queued yet");
      assertEquals(n, a.sendBatch(out.ctlAddr, n));

      Wakeup.Waiter waiter = wake.newWaiter();
      int got = 0;
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (got < n && System.nanoTime() < deadline) {
        int r = b.receiveBatch(in.ctlAddr + (long) got * MMSG, n - got);
        if (r == -NativeIo.EAGAIN) {
          assertTrue(waiter.await(b.fd(), Wakeup.POLLIN, 1000));
          continue;
        }
        assertTrue(r > 0, "receiveBatch: " + r);
        got += r;
      }
      assertEquals(n, got);
      for (int i = 0; i < n; i++) {
        assertEquals(100 + i, in.ctl.getInt(i * MMSG + 56), "msg_len " + i); // mmsghdr.msg_len
        for (int j = 0; j < 100 + i; j++) {
          assertEquals((byte) (i + j), in.pkts.get(i * SLOT + j));
        }
        assertEquals(LOOPBACK.toInt(), UdpSocket.readSockaddrAddr(in.ctl, in.saOff(i)));
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

  /** {@code n} mmsghdr + iovec + sockaddr_in in one native buffer, packet slots in another. */
  private static final class Batch {
    final ByteBuffer pkts;
    final ByteBuffer ctl;
    final long pktsAddr;
    final long ctlAddr;
    final int n;

    Batch(int n) {
      this.n = n;
      pkts = ByteBuffer.allocateDirect(n * SLOT);
      ctl = ByteBuffer.allocateDirect(n * (MMSG + IOV + UdpSocket.SOCKADDR_IN_SIZE)).order(ByteOrder.nativeOrder());
      pktsAddr = NativeIo.address(pkts);
      ctlAddr = NativeIo.address(ctl);
    }

    int iovOff(int i) {
      return n * MMSG + i * IOV;
    }

    int saOff(int i) {
      return n * (MMSG + IOV) + i * UdpSocket.SOCKADDR_IN_SIZE;
    }

    void prepare(int i, int len) {
      int m = i * MMSG;
      ctl.putLong(m, ctlAddr + saOff(i));        // msg_name
      ctl.putInt(m + 8, UdpSocket.SOCKADDR_IN_SIZE); // msg_namelen
      ctl.putLong(m + 16, ctlAddr + iovOff(i));  // msg_iov
      ctl.putLong(m + 24, 1);                    // msg_iovlen
      ctl.putLong(m + 32, 0);                    // msg_control
      ctl.putLong(m + 40, 0);                    // msg_controllen
      ctl.putInt(m + 48, 0);                     // msg_flags
      ctl.putLong(iovOff(i), pktsAddr + (long) i * SLOT);
      ctl.putLong(iovOff(i) + 8, len);
    }
  }
}
