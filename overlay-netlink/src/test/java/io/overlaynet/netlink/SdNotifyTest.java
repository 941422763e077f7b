package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A datagram socket stands in for systemd and receives what {@link SdNotify} sends. */
class SdNotifyTest {

  @TempDir
  Path dir;

  @Test
  void sendsReadyToAPathSocket() throws Exception {
    String path = dir.resolve("notify").toString();
    assertEquals("READY=1", receiveOne(path, false, () -> SdNotify.notify(path, "READY=1")));
  }

  @Test
  void sendsToAnAbstractSocket() throws Exception {
    String name = "@overlaynet-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    assertEquals("READY=1", receiveOne(name, true, () -> SdNotify.notify(name, "READY=1")));
  }

  @Test
  void aMissingSocketIsAClearError() {
    NetlinkException e = assertThrows(NetlinkException.class,
        () -> SdNotify.notify(dir.resolve("absent").toString(), "READY=1"));
    assertEquals(NativeErrors.ENOENT, e.errno());
  }

  interface Sender {
    void send() throws Exception;
  }

  private static String receiveOne(String name, boolean abstractName, Sender sender) throws Exception {
    LibC libc = Native.libc();
    int fd = libc.socket(1, 2, 0);
    try {
      byte[] p = name.getBytes(StandardCharsets.UTF_8);
      ByteBuffer addr = ByteBuffer.allocateDirect(110).order(ByteOrder.nativeOrder());
      addr.putShort((short) 1);
      if (abstractName) {
        addr.put((byte) 0).put(p, 1, p.length - 1);
      } else {
        addr.put(p).put((byte) 0);
      }
      int len = addr.position();
      addr.flip();
      NativeErrors.check("bind", libc.bind(fd, addr, len));
      sender.send();
      ByteBuffer buf = ByteBuffer.allocateDirect(256);
      long n = NativeErrors.check("recv", libc.recv(fd, buf, 256, 0x40 /* MSG_DONTWAIT */));
      byte[] out = new byte[(int) n];
      buf.get(out);
      return new String(out, StandardCharsets.UTF_8);
    } finally {
      libc.close(fd);
    }
  }
}
