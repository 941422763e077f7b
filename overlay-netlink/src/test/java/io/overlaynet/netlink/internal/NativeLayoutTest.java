package io.overlaynet.netlink.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** {@link NativeLayout}: the computed offsets against what the C compiler says, and the LP64 check. */
class NativeLayoutTest {

  /**
   * Golden values: {@code sizeof} / {@code offsetof} / {@code CMSG_LEN} / {@code CMSG_SPACE} printed by a C
   * program built with gcc 12 against glibc 2.36 on x86_64 (Debian 12).
   */
  @Test
  void layoutsMatchTheCCompiler() {
    assertEquals(16, NativeLayout.IOVEC_SIZE);
    assertEquals(0, NativeLayout.IOV_BASE);
    assertEquals(8, NativeLayout.IOV_LEN);
    assertEquals(56, NativeLayout.MSGHDR_SIZE);
    assertEquals(0, NativeLayout.MSG_NAME);
    assertEquals(8, NativeLayout.MSG_NAMELEN);
    assertEquals(16, NativeLayout.MSG_IOV);
    assertEquals(24, NativeLayout.MSG_IOVLEN);
    assertEquals(32, NativeLayout.MSG_CONTROL);
    assertEquals(40, NativeLayout.MSG_CONTROLLEN);
    assertEquals(48, NativeLayout.MSG_FLAGS);
    assertEquals(64, NativeLayout.MMSGHDR_SIZE);
    assertEquals(56, NativeLayout.MMSG_LEN);
    assertEquals(16, NativeLayout.SOCKADDR_IN_SIZE);
    assertEquals(2, NativeLayout.SIN_PORT);
    assertEquals(4, NativeLayout.SIN_ADDR);
    assertEquals(8, NativeLayout.CMSG_LEVEL);
    assertEquals(12, NativeLayout.CMSG_TYPE);
    assertEquals(16, NativeLayout.CMSG_DATA);
    assertEquals(18, NativeLayout.cmsgLen(2));
    assertEquals(20, NativeLayout.cmsgLen(4));
    assertEquals(24, NativeLayout.cmsgSpace(2));
    assertEquals(24, NativeLayout.cmsgSpace(4));
  }

  @Test
  void a32BitRuntimeIsRefusedWithAReason() {
    assertNull(NativeLayout.problem(8, 8));
    String why = NativeLayout.problem(4, 4);
    assertTrue(why.contains("64-bit Linux") && why.contains("4-byte pointers"), why);
    assertTrue(NativeLayout.problem(8, 4).contains("4-byte longs"), "ILP32 on a 64-bit CPU (x32) too");
  }

  @Test
  void sockaddrInIsInNetworkOrder() {
    ByteBuffer b = ByteBuffer.allocate(NativeLayout.SOCKADDR_IN_SIZE).order(ByteOrder.nativeOrder());
    NativeLayout.putSockaddrIn(b, 0, 0xc000020c, 8285); // 192.0.2.12:8285
    assertEquals(NativeLayout.AF_INET, b.getShort(0));
    ByteBuffer wire = b.duplicate().order(ByteOrder.BIG_ENDIAN);
    assertEquals(8285, Short.toUnsignedInt(wire.getShort(2)));
    assertEquals(0xc000020c, wire.getInt(4));
    assertEquals(0xc000020c, NativeLayout.sockaddrInAddr(b, 0));
    assertEquals(8285, NativeLayout.sockaddrInPort(b, 0));
  }
}
