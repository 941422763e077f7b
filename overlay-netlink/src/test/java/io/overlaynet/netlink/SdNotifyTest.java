package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A datagram socket stands in for systemd and receives what {@link SdNotify} sends. */
class SdNotifyTest {

  @TempDir
  Path dir;

  @Test
  void sendsReadyToAPathSocket() throws Exception {
    try (Receiver r = Receiver.bind(dir.resolve("notify").toString())) {
      SdNotify.notify(r.name, "READY=1");
      assertEquals("READY=1", r.receive());
    }
  }

  @Test
  void sendsToAnAbstractSocket() throws Exception {
    try (Receiver r = Receiver.bind("@overlaynet-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime())) {
      SdNotify.notify(r.name, "READY=1");
      assertEquals("READY=1", r.receive());
    }
  }

  @Test
  void aMissingSocketIsAClearError() {
    NetlinkException e = assertThrows(NetlinkException.class,
        () -> SdNotify.notify(dir.resolve("absent").toString(), "READY=1"));
    assertEquals(NativeErrors.ENOENT, e.errno());
  }

  @Test
  void aFullReceiverQueueFailsInsteadOfBlocking() throws Exception {
    // systemd reads its socket promptly; one that does not (here: never) must not hang the sender.
    try (Receiver r = Receiver.bind(dir.resolve("notify").toString())) {
      NetlinkException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(NetlinkException.class,
          () -> {
            for (int i = 0; i < 100_000; i++) {
              SdNotify.notify(r.name, "WATCHDOG=1");
            }
          }));
      assertEquals(NativeErrors.EAGAIN, e.errno(), e.getMessage());
    }
  }

  /** A bound AF_UNIX datagram socket (the JDK 17 has none), as systemd's notification socket. */
  static final class Receiver implements AutoCloseable {
    final String name;
    private final int fd;

    private Receiver(String name, int fd) {
      this.name = name;
      this.fd = fd;
    }

    /** Binds {@code name}: a path, or {@code @name} for an abstract socket. */
    static Receiver bind(String name) throws NetlinkException {
      LibC libc = Native.libc();
      int fd = NativeErrors.check("socket", libc.socket(1, 2, 0));
      byte[] p = name.getBytes(StandardCharsets.UTF_8);
      ByteBuffer addr = ByteBuffer.allocateDirect(110).order(ByteOrder.nativeOrder());
      addr.putShort((short) 1);
      if (p[0] == '@') {
        addr.put((byte) 0).put(p, 1, p.length - 1);
      } else {
        addr.put(p).put((byte) 0);
      }
      int len = addr.position();
      addr.flip();
      try {
        NativeErrors.check("bind", libc.bind(fd, addr, len));
      } catch (NetlinkException e) {
        libc.close(fd);
        throw e;
      }
      return new Receiver(name, fd);
    }

    /** Returns the datagram already queued (the senders here are synchronous). */
    String receive() throws NetlinkException {
      ByteBuffer buf = ByteBuffer.allocateDirect(8192);
      long n = NativeErrors.check("recv", Native.libc().recv(fd, buf, 8192, 0x40 /* MSG_DONTWAIT */));
      byte[] out = new byte[(int) n];
      buf.get(out);
      return new String(out, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      Native.libc().close(fd);
    }
  }
}
