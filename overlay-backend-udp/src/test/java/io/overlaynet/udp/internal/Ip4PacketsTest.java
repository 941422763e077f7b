package io.overlaynet.udp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.udp.DropReason;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Header checks, TTL with the incremental checksum, and flannel's ICMP net unreachable (golden bytes). */
class Ip4PacketsTest {

  /** A TCP SYN 10.5.19.2:50000 → 10.5.99.2:80, TTL 64, DF, 60 bytes. */
  static final String SYN = "4500003c1234400040069e7a0a0513020a056302c35000500102030400000000a002000000000000"
      + "0000000000000000000000000000000000000000";
  /**
   * What flannel's {@code send_net_unreachable} makes of {@link #SYN} on a node whose TUN address
   * is 10.5.19.0 (computed from proxy_amd64.c's layout: IP header, ICMP 3/0, offender header + 8).
   */
  static final String SYN_UNREACHABLE = "4500003800000000080178ba0a0513000a05130203003559000000004500003c123440004006"
      + "9e7a0a0513020a056302c350005001020304";

  static ByteBuffer direct(String hex, int offset) {
    byte[] b = HexFormat.of().parseHex(hex);
    ByteBuffer buf = ByteBuffer.allocateDirect(offset + b.length + 64);
    buf.put(offset, b);
    return buf;
  }

  static String hex(ByteBuffer b, int off, int len) {
    byte[] out = new byte[len];
    b.get(off, out);
    return HexFormat.of().formatHex(out);
  }

  @Test
  void goldenNetUnreachableMatchesFlannel() {
    ByteBuffer pkt = direct(SYN, 100);
    ByteBuffer out = ByteBuffer.allocateDirect(Ip4Packets.MAX_ICMP);
    int n = Ip4Packets.netUnreachable(pkt, 100, 60, Ip4.parse("10.5.19.0").toInt(), out);
    assertEquals(56, n);
    assertEquals(SYN_UNREACHABLE, hex(out, 0, n));
    assertEquals(0, Ip4Packets.headerChecksum(out, 0, 20));
    assertEquals(0, Ip4Packets.checksum(out, 20, n - 20));
  }

  @Test
  void unreachableQuotesOptionsAndShortPackets() {
    // IHL 6 (one option word): the whole header plus 8 bytes is quoted.
    ByteBuffer pkt = ByteBuffer.allocateDirect(200);
    pkt.put(0, (byte) 0x46).putShort(2, (short) 40).put(8, (byte) 64).put(9, (byte) 17)
        .putInt(12, Ip4.parse("10.5.19.2").toInt()).putInt(16, Ip4.parse("10.6.0.1").toInt());
    ByteBuffer out = ByteBuffer.allocateDirect(Ip4Packets.MAX_ICMP);
    assertEquals(20 + 8 + 24 + 8, Ip4Packets.netUnreachable(pkt, 0, 40, 1, out));
    // A 22-byte packet: only what exists is quoted.
    pkt.putShort(2, (short) 22).put(0, (byte) 0x45);
    assertEquals(20 + 8 + 22, Ip4Packets.netUnreachable(pkt, 0, 22, 1, out));
    assertEquals(0, Ip4Packets.checksum(out, 20, 30));
  }

  @Test
  void noUnreachableForIcmpErrorsFragmentsMalformedOrBroadcast() {
    ByteBuffer out = ByteBuffer.allocateDirect(Ip4Packets.MAX_ICMP);
    int tun = Ip4.parse("10.5.19.0").toInt();
    // ICMP destination unreachable offender → none.
    ByteBuffer icmpErr = direct(SYN, 0);
    icmpErr.put(9, (byte) 1).put(20, (byte) 3);
    assertEquals(0, Ip4Packets.netUnreachable(icmpErr, 0, 60, tun, out));
    icmpErr.put(20, (byte) 11);
    assertEquals(0, Ip4Packets.netUnreachable(icmpErr, 0, 60, tun, out));
    // ICMP echo request → answered (flannel skips every ICMP; the issue asks only for errors).
    icmpErr.put(20, (byte) 8);
    assertEquals(56, Ip4Packets.netUnreachable(icmpErr, 0, 60, tun, out));
    // Non-first fragment → none; first fragment with MF → answered.
    ByteBuffer frag = direct(SYN, 0);
    frag.putShort(6, (short) 0x2010);
    assertEquals(0, Ip4Packets.netUnreachable(frag, 0, 60, tun, out));
    frag.putShort(6, (short) 0x2000);
    assertEquals(56, Ip4Packets.netUnreachable(frag, 0, 60, tun, out));
    // Malformed IHL → none.
    ByteBuffer bad = direct(SYN, 0);
    bad.put(0, (byte) 0x44);
    assertEquals(0, Ip4Packets.netUnreachable(bad, 0, 60, tun, out));
    bad.put(0, (byte) 0x4f);
    assertEquals(0, Ip4Packets.netUnreachable(bad, 0, 40, tun, out));
    assertEquals(0, Ip4Packets.netUnreachable(bad, 0, 19, tun, out));
    // Multicast destination or unspecified source → none.
    ByteBuffer mc = direct(SYN, 0);
    mc.putInt(16, Ip4.parse("239.1.2.3").toInt());
    assertEquals(0, Ip4Packets.netUnreachable(mc, 0, 60, tun, out));
    ByteBuffer zero = direct(SYN, 0);
    zero.putInt(12, 0);
    assertEquals(0, Ip4Packets.netUnreachable(zero, 0, 60, tun, out));
  }

  @Test
  void ttlDecrementKeepsChecksumValid() {
    Random r = new Random(42);
    ByteBuffer b = ByteBuffer.allocateDirect(64);
    for (int i = 0; i < 100_000; i++) {
      for (int j = 0; j < 20; j += 4) {
        b.putInt(j, r.nextInt());
      }
      b.put(0, (byte) 0x45);
      int ttl = 2 + r.nextInt(254);
      b.put(8, (byte) ttl);
      b.putShort(10, (short) 0);
      b.putShort(10, (short) Ip4Packets.headerChecksum(b, 0, 20));
      assertTrue(Ip4Packets.decrementTtl(b, 0));
      assertEquals(ttl - 1, b.get(8) & 0xff);
      assertEquals(0, Ip4Packets.headerChecksum(b, 0, 20), "checksum after decrement, case " + i);
    }
  }

  @Test
  void ttlDecrementOnCapturedFlannelPacket() {
    // From the reference capture (B3): the inner echo request with TTL 0x3e = 62.
    ByteBuffer b = direct("45000054a19340003e013e080a0513020a053602", 0);
    assertEquals(0, Ip4Packets.headerChecksum(b, 0, 20));
    assertTrue(Ip4Packets.decrementTtl(b, 0));
    assertEquals("45000054a19340003d013f080a0513020a053602", hex(b, 0, 20));
  }

  @Test
  void ttlOfOneOrZeroIsDroppedUnchanged() {
    ByteBuffer b = direct(SYN, 0);
    b.put(8, (byte) 1);
    assertFalse(Ip4Packets.decrementTtl(b, 0));
    assertEquals(1, b.get(8));
    b.put(8, (byte) 0);
    assertFalse(Ip4Packets.decrementTtl(b, 0));
  }

  @Test
  void datagramClassification() {
    assertNull(Ip4Packets.checkDatagram(direct(SYN, 0), 0, 60));
    assertEquals(DropReason.TOO_SHORT, Ip4Packets.checkDatagram(direct(SYN, 0), 0, 19));
    assertEquals(DropReason.TOO_SHORT, Ip4Packets.checkDatagram(direct(SYN, 0), 0, 0));
    ByteBuffer v6 = direct(SYN, 0);
    v6.put(0, (byte) 0x65);
    assertEquals(DropReason.BAD_VERSION, Ip4Packets.checkDatagram(v6, 0, 60));
    ByteBuffer ihl = direct(SYN, 0);
    ihl.put(0, (byte) 0x44);
    assertEquals(DropReason.BAD_HEADER_LENGTH, Ip4Packets.checkDatagram(ihl, 0, 60));
    assertEquals(DropReason.BAD_TOTAL_LENGTH, Ip4Packets.checkDatagram(direct(SYN, 0), 0, 59));
    assertEquals(DropReason.BAD_TOTAL_LENGTH, Ip4Packets.checkDatagram(direct(SYN + "00", 0), 0, 61));
    ByteBuffer sum = direct(SYN, 0);
    sum.put(11, (byte) 0);
    assertEquals(DropReason.BAD_CHECKSUM, Ip4Packets.checkDatagram(sum, 0, 60));
    assertTrue(Ip4Packets.isIpv4(direct(SYN, 0), 0, 60));
    assertFalse(Ip4Packets.isIpv4(v6, 0, 60));
  }
}
