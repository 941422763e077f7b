package io.overlaynet.netlink.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlaynet.ip.Ip4;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Segmentation of TCP super-packets and completion of partial checksums, checked like a receiver would. */
class GsoTest {

  static final int SRC = Ip4.parse("10.5.1.2").toInt();
  static final int DST = Ip4.parse("10.5.2.2").toInt();

  /** A TCP/IPv4 packet with a 12-byte option block, PSH|ACK|FIN|CWR, the given payload. */
  static ByteBuffer superPacket(byte[] payload) {
    int hdr = 20 + 32;
    ByteBuffer b = ByteBuffer.allocateDirect(hdr + payload.length);
    b.putInt(0, 0x45000000 | Math.min(0xffff, hdr + payload.length)).putInt(4, 0x77704000)
        .putInt(8, (63 << 24) | (6 << 16)).putInt(12, SRC).putInt(16, DST);
    b.putShort(10, (short) Gso.ipv4HeaderChecksum(b, 0, 20));
    b.putShort(20, (short) 40000).putShort(22, (short) 5201).putInt(24, 0xfffff000).putInt(28, 12345);
    b.put(32, (byte) 0x80).put(33, (byte) (0x80 | 0x10 | 0x08 | 0x01)).putShort(34, (short) 502);
    b.putInt(40, 0x0101080a).putInt(44, 1).putInt(48, 2);
    b.put(hdr, payload);
    return b;
  }

  static int tcpChecksum(ByteBuffer b, int off, int len) {
    int ihl = (b.get(off) & 0x0f) * 4;
    int s = b.getInt(off + 12);
    int d = b.getInt(off + 16);
    long pseudo = (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + 6 + (len - ihl);
    return Gso.checksum(b, off + ihl, len - ihl, pseudo);
  }

  @Test
  void segmentsAreValidPacketsThatReassemble() {
    byte[] payload = new byte[5000];
    new Random(1).nextBytes(payload);
    ByteBuffer sp = superPacket(payload);
    int len = sp.capacity();
    int hdr = Gso.tcpHeaders(sp, 0, len);
    assertEquals(52, hdr);
    int mss = 1400;
    int segs = Gso.segments(len - hdr, mss);
    assertEquals(4, segs);
    ByteBuffer out = ByteBuffer.allocateDirect(2048);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int i = 0; i < segs; i++) {
      int n = Gso.tcpSegment(sp, 0, len, hdr, mss, i, out, 0);
      assertEquals(i < 3 ? hdr + 1400 : hdr + 800, n);
      assertWellFormedIpv4(out, 0, n);
      assertEquals(0, tcpChecksum(out, 0, n), "TCP checksum of segment " + i);
      assertEquals(0x7770 + i, out.getShort(4) & 0xffff, "IP id");
      assertEquals(0xfffff000 + i * 1400, out.getInt(24), "sequence (wrapping)");
      int flags = out.get(33) & 0xff;
      assertEquals(i == 0 ? 0x80 : 0, flags & 0x80, "CWR on the first only");
      assertEquals(i == 3 ? 0x09 : 0, flags & 0x09, "FIN and PSH on the last only");
      assertEquals(0x10, flags & 0x10, "ACK everywhere");
      byte[] chunk = new byte[n - hdr];
      out.get(hdr, chunk);
      joined.writeBytes(chunk);
    }
    assertArrayEquals(payload, joined.toByteArray());
  }

  @Test
  void partialChecksumIsCompleted() {
    byte[] payload = new byte[777];
    new Random(2).nextBytes(payload);
    ByteBuffer p = superPacket(payload);
    int len = p.capacity();
    // What the kernel hands over with CHECKSUM_PARTIAL: the folded pseudo-header sum in the field.
    long pseudo = (SRC >>> 16) + (SRC & 0xffff) + (DST >>> 16) + (DST & 0xffff) + 6 + (len - 20);
    while ((pseudo >>> 16) != 0) {
      pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
    }
    p.putShort(36, (short) pseudo);
    Gso.finishChecksum(p, 0, len, 20, 16);
    assertEquals(0, tcpChecksum(p, 0, len));
  }

  @Test
  void checksumMatchesTheSimpleOne() {
    Random r = new Random(3);
    ByteBuffer b = ByteBuffer.allocateDirect(3000);
    for (int i = 0; i < 2000; i++) {
      int len = r.nextInt(2990);
      int off = r.nextInt(8);
      for (int j = 0; j < len; j++) {
        b.put(off + j, (byte) r.nextInt());
      }
      assertEquals(simpleChecksum(b, off, len), Gso.checksum(b, off, len, 0));
    }
  }

  /** Version 4, a header length within the packet, total length {@code len}, header checksum right. */
  static void assertWellFormedIpv4(ByteBuffer b, int off, int len) {
    assertEquals(4, (b.get(off) & 0xff) >>> 4, "version");
    int ihl = (b.get(off) & 0x0f) << 2;
    assertEquals(true, ihl >= 20 && ihl <= len, "header length " + ihl);
    assertEquals(len, b.getShort(off + 2) & 0xffff, "total length");
    assertEquals(0, Gso.ipv4HeaderChecksum(b, off, ihl), "header checksum");
  }

  /** RFC 1071 two bytes at a time, the plain way. */
  static int simpleChecksum(ByteBuffer b, int off, int len) {
    long sum = 0;
    for (int i = 0; i + 1 < len; i += 2) {
      sum += b.getShort(off + i) & 0xffff;
    }
    if ((len & 1) != 0) {
      sum += (b.get(off + len - 1) & 0xff) << 8;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }
}
