package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.netlink.testing.Ip;
import io.overlaynet.testing.Await;
import io.overlaynet.testing.Prerequisites;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** TUN devices: naming by template, packets both ways, gather writes, close waking a blocked reader, multi-queue. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class TunIT {

  @BeforeEach
  void needTun() {
    Prerequisites.require(TunDevice.isAvailable(), "/dev/net/tun", "modprobe tun: " + Netlink.tun().unavailabilityCause());
  }

  @Test
  void pingThroughTun(NetNs ns) throws Exception {
    try (TunDevice tun = TunDevice.create("flannel%d", TunOptions.DEFAULT); NetlinkHandle h = NetlinkHandle.open()) {
      assertEquals("flannel0", tun.name());
      JsonObject j = Ip.one(ns.name(), "ip", "-d", "-j", "link", "show", "dev", "flannel0");
      assertEquals("tun", j.getAsJsonObject("linkinfo").get("info_kind").getAsString());
      Link link = h.linkByName("flannel0");
      h.linkSetMtu(link.index(), 1472);
      h.addrAdd(Address.of(link.index(), "10.9.0.1/24"));
      h.linkSetUp(link.index());

      // An ICMP echo request from 10.9.0.2 written into the TUN; the kernel answers through it.
      ByteBuffer out = ByteBuffer.allocateDirect(2048);
      out.put(Packets.icmpEcho(Ip4.parse("10.9.0.2"), Ip4.parse("10.9.0.1"), 0x1234, 1)).flip();
      assertEquals(28 + 8, tun.write(out));
      ByteBuffer in = ByteBuffer.allocateDirect(2048);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < deadline) {
        in.clear();
        int n = tun.read(in, 1000);
        if (n >= 28 && (in.get(0) >> 4) == 4 && in.get(9) == 1 && in.get(20) == 0) { // IPv4, ICMP, echo reply
          assertEquals(Ip4.parse("10.9.0.2"), Ip4.fromBytes(bytes(in, 16, 4)));
          assertEquals(0x1234, Short.toUnsignedInt(in.getShort(24)));
          return;
        }
      }
      throw new AssertionError("no echo reply read from the TUN device");
    }
  }

  /** A read that may throw NetlinkException. */
  private interface Read {
    int run() throws NetlinkException;
  }

  private static CompletableFuture<Integer> startReader(String name, Read read) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return read.run();
      } catch (NetlinkException e) {
        throw new IllegalStateException(e);
      }
    }, r -> new Thread(r, name).start());
  }

  /**
   * Returns whether the thread named {@code name} (at most 15 characters: the JVM gives Java
   * threads their name as the kernel's {@code comm}) sleeps in poll(2), read from procfs.
   */
  private static boolean inPoll(String name) throws java.io.IOException {
    try (java.nio.file.DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        try {
          if (Files.readString(task.resolve("comm")).trim().equals(name)) {
            return Files.readString(task.resolve("wchan")).contains("poll");
          }
        } catch (java.nio.file.NoSuchFileException e) {
          // the task ended while we looked
        }
      }
    }
    return false;
  }

  private static byte[] bytes(ByteBuffer b, int off, int len) {
    byte[] out = new byte[len];
    b.get(off, out);
    return out;
  }

  @Test
  void closeWakesBlockedReader(NetNs ns) throws Exception {
    TunDevice tun = TunDevice.create("tunw%d", TunOptions.DEFAULT);
    // Two readers: one with a 60 s timeout, which only a wake-up can end within the 10 s below,
    // and one without (read(dst) polls in 1 s slices, so it shows the -1, not the wake-up).
    CompletableFuture<Integer> timed = startReader("tunrd-timed", () -> tun.read(ByteBuffer.allocateDirect(2048), 60_000));
    CompletableFuture<Integer> untimed = startReader("tunrd-untimed", () -> tun.read(ByteBuffer.allocateDirect(2048)));
    // Had a reader not reached its poll yet, its read would return -1 after close() without a wake-up.
    Await.until("the readers wait in poll", Duration.ofSeconds(10),
        () -> inPoll("tunrd-timed") && inPoll("tunrd-untimed"));
    assertFalse(timed.isDone());
    assertFalse(untimed.isDone());
    tun.close();
    assertEquals(-1, timed.get(10, TimeUnit.SECONDS), "woken long before the 60 s timeout");
    assertEquals(-1, untimed.get(10, TimeUnit.SECONDS));
    tun.close(); // idempotent
    assertThrows(NetlinkException.class, () -> tun.write(ByteBuffer.allocateDirect(40)));
    NetlinkException gather = assertThrows(NetlinkException.class,
        () -> tun.write(new ByteBuffer[] {ByteBuffer.allocateDirect(40)}, 0, 1));
    assertEquals(9, gather.errno(), "EBADF");
    assertTrue(gather.getMessage().startsWith("writev " + tun.name() + ": device closed"), gather.getMessage());
    assertEquals(-1, tun.read(ByteBuffer.allocateDirect(64), 10));
    assertEquals(-1, tun.read(ByteBuffer.allocateDirect(64), 0));
  }

  @Test
  void multiQueueAndNamedDevice(NetNs ns) throws Exception {
    try (TunDevice q0 = TunDevice.create("mq0", TunOptions.DEFAULT.withMultiQueue(true));
        TunDevice q1 = q0.openQueue()) {
      assertEquals("mq0", q1.name());
      assertTrue(q0.options().multiQueue());
      assertEquals(0, q1.read(ByteBuffer.allocateDirect(64), 50), "no packet: timeout returns 0");
    }
    try (NetNs other = NetNs.createUnnamed(); TunDevice t = TunDevice.createIn(other, "tun7", TunOptions.DEFAULT);
        NetlinkHandle h = NetlinkHandle.openIn(other)) {
      assertEquals("tun7", h.linkByName(t.name()).name());
      assertThrows(IllegalStateException.class, t::openQueue);
    }
  }

  @Test
  void vnetHeaderPingThroughGatherWriteAndNonBlockingReads(NetNs ns) throws Exception {
    TunOptions opts = TunOptions.DEFAULT.withVnetHeader(true).withMultiQueue(true);
    try (TunDevice tun = TunDevice.create("vnet%d", opts); TunDevice q1 = tun.openQueue();
        NetlinkHandle h = NetlinkHandle.open()) {
      assertTrue(q1.options().vnetHeader());
      Link link = h.linkByName(tun.name());
      h.addrAdd(Address.of(link.index(), "10.9.1.1/24"));
      h.linkSetUp(link.index());

      // A zero virtio_net_hdr (no offload for this packet), then the echo request in two pieces
      // that lie apart in one buffer, gathered into one packet by one writev.
      ByteBuffer hdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
      ByteBuffer pkts = ByteBuffer.allocateDirect(4096);
      byte[] echo = Packets.icmpEcho(Ip4.parse("10.9.1.2"), Ip4.parse("10.9.1.1"), 0x4321, 1);
      pkts.put(100, echo, 0, 20).put(2000, echo, 20, echo.length - 20);
      ByteBuffer[] srcs = {null, hdr, pkts.slice(100, 20), pkts.slice(2000, echo.length - 20)};
      assertEquals(TunDevice.VNET_HDR_SIZE + echo.length, tun.write(srcs, 1, 3));
      assertFalse(hdr.hasRemaining() || srcs[2].hasRemaining() || srcs[3].hasRemaining(), "positions advanced");

      // The reply may land on either queue; each read returns the vnet header first.
      ByteBuffer in = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE + 2048);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      try (Wakeup wake = Wakeup.create()) {
        Wakeup.Waiter waiter = wake.newWaiter();
        while (System.nanoTime() < deadline) {
          for (TunDevice q : new TunDevice[] {tun, q1}) {
            int n = q.read(in.clear(), 0);
            if (n == 0) {
              continue; // nothing queued: a 0 timeout does not wait
            }
            assertTrue(n > 0, "read: " + n);
            int ip = TunDevice.VNET_HDR_SIZE;
            if (n >= ip + 28 && (in.get(ip) >> 4) == 4 && in.get(ip + 9) == 1 && in.get(ip + 20) == 0) {
              assertEquals(0x4321, Short.toUnsignedInt(in.getShort(ip + 24)));
              return;
            }
          }
          waiter.await(tun.fd(), Wakeup.POLLIN, 50);
        }
      }
      throw new AssertionError("no echo reply read from the vnet TUN device");
    }
  }

  @Test
  void badBuffersNameTheProblem(NetNs ns) throws Exception {
    try (TunDevice vnet = TunDevice.create("vnet%d", TunOptions.DEFAULT.withVnetHeader(true))) {
      ByteBuffer direct = ByteBuffer.allocateDirect(64);
      IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
          () -> vnet.write(new ByteBuffer[] {direct, ByteBuffer.allocate(10)}, 0, 2));
      assertEquals("TUN writes need direct buffers: srcs[1] is not direct", heap.getMessage());
      IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
          () -> vnet.write(new ByteBuffer[] {direct}, 1, 1));
      assertEquals("buffers 1 + 1 outside the array of 1", range.getMessage());
      assertThrows(IllegalArgumentException.class, () -> vnet.write(new ByteBuffer[] {direct}, 0, 0));
      IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
          () -> vnet.read(ByteBuffer.allocateDirect(64).limit(4), 0));
      assertEquals("a TUN read needs at least 10 bytes of room in dst, it has 4", small.getMessage());
      assertThrows(IllegalArgumentException.class, () -> vnet.read(ByteBuffer.allocate(64), 0));
    }
  }

  /** Builds IPv4 packets for the tests. */
  static final class Packets {
    private Packets() {}

    static byte[] icmpEcho(Ip4 src, Ip4 dst, int id, int seq) {
      ByteBuffer b = ByteBuffer.allocate(36);
      b.put((byte) 0x45).put((byte) 0).putShort((short) 36).putShort((short) 1).putShort((short) 0)
          .put((byte) 64).put((byte) 1).putShort((short) 0).put(src.toBytes()).put(dst.toBytes());
      b.putShort(10, (short) checksum(b.array(), 0, 20));
      b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq)
          .putInt(0x6f766c79);
      b.putShort(22, (short) checksum(b.array(), 20, 16));
      return b.array();
    }

    static int checksum(byte[] a, int off, int len) {
      int sum = 0;
      for (int i = off; i < off + len; i += 2) {
        sum += ((a[i] & 0xff) << 8) | (i + 1 < off + len ? a[i + 1] & 0xff : 0);
      }
      while ((sum >> 16) != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
      }
      return ~sum & 0xffff;
    }
  }
}
