package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A datagram socket stands in for systemd and receives what {@link SdNotify} sends. */
class SdNotifyTest {

  static final long PID = 4242;

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
  void statusAndWatchdogGoToTheSocketOfTheEnvironment() throws Exception {
    try (Receiver r = Receiver.bind(dir.resolve("notify").toString())) {
      Map<String, String> env = Map.of("NOTIFY_SOCKET", r.name);
      assertTrue(SdNotify.status(env, "Connecting to etcd http://192.0.2.10:2379"));
      assertEquals("STATUS=Connecting to etcd http://192.0.2.10:2379", r.receive());
      assertTrue(SdNotify.watchdog(env));
      assertEquals("WATCHDOG=1", r.receive());
    }
  }

  @Test
  void withoutNotifySocketNothingIsSent() {
    assertFalse(SdNotify.status(Map.of(), "Ready"));
    assertFalse(SdNotify.watchdog(Map.of("NOTIFY_SOCKET", "")));
  }

  @Test
  void aStatusIsOneLine() throws Exception {
    // A line break would end STATUS= and start another assignment, e.g. READY=1.
    assertEquals("STATUS=Failed: etcd down  READY=1", SdNotify.statusMessage(" Failed: etcd down\r\nREADY=1\n"));
    assertEquals("STATUS=a b", SdNotify.statusMessage("a\u0000b"));
    String longText = "x".repeat(5000);
    assertEquals("STATUS=" + "x".repeat(SdNotify.MAX_STATUS_CHARS), SdNotify.statusMessage(longText));
    try (Receiver r = Receiver.bind(dir.resolve("notify").toString())) {
      SdNotify.status(Map.of("NOTIFY_SOCKET", r.name), "Ready: lease 10.5.96.0/24\nWATCHDOG=1");
      assertEquals("STATUS=Ready: lease 10.5.96.0/24 WATCHDOG=1", r.receive());
    }
  }

  @Test
  void aFullReceiverQueueFailsInsteadOfBlocking() throws Exception {
    // systemd reads its socket promptly; one that does not (here: never) must not hang the sender.
    try (Receiver r = Receiver.bind(dir.resolve("notify").toString())) {
      NetlinkException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(NetlinkException.class,
          () -> {
            for (int i = 0; i < 100_000; i++) {
              SdNotify.notify(r.name, SdNotify.WATCHDOG);
            }
          }));
      assertEquals(NativeErrors.EAGAIN, e.errno(), e.getMessage());
    }
  }

  @Test
  void watchdogIntervalAsSdWatchdogEnabledReadsIt() {
    assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of(), PID));
    assertEquals(Optional.of(Duration.ofSeconds(30)),
        SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000"), PID));
    assertEquals(Optional.of(Duration.ofNanos(1_500_000)),
        SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "1500", "WATCHDOG_PID", "4242"), PID));
    // Beyond a signed long (UINT64_MAX - 1 microseconds), still exact.
    assertEquals(Optional.of(Duration.ofSeconds(18446744073709L, 551614000)),
        SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "18446744073709551614"), PID));
  }

  @Test
  void aWatchdogOfAnotherProcessIsNotOurs() {
    assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "1"), PID));
  }

  @Test
  void invalidWatchdogVariablesMeanNoWatchdog() {
    for (String usec : new String[] {"", "abc", "-5", "30s", "0", "18446744073709551615",
        "18446744073709551616"}) {
      assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", usec), PID), usec);
    }
    for (String pid : new String[] {"", "x", "0", "-4242", "4242 ", "99999999999"}) {
      assertEquals(Optional.empty(),
          SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", pid), PID), pid);
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
