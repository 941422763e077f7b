package io.overlaynet.netlink.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.netlink.TunDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Receive-side coalescing, checked against golden packets: a coalesced super-packet, cut again
 * by its {@code gso_size} exactly as the kernel's TSO/GSO does ({@link Gso#tcpSegment}), must
 * give back the received packets byte for byte (headers, IP ids, sequence numbers, flags,
 * payloads, checksums); its partial checksum must complete to a valid one; and anything not
 * exactly contiguous is left alone.
 */
class GroTest {

  private static final int MSS = 1420;

  /** A run of received packets in one buffer, back to back, as a GRO'd UDP receive holds them. */
  private record Run(ByteBuffer buf, int[] off, int[] len) {
    byte[] packet(int i) {
      byte[] b = new byte[len[i]];
      buf.get(off[i], b);
      return b;
    }
  }

  /** A TCP/IPv4 packet as a Linux sender makes it: DF, 12-byte timestamp option, ACK (|PSH), full checksums. */
  private static ByteBuffer superPacket(byte[] payload, int flags) {
    int hdr = 20 + 32;
    ByteBuffer b = ByteBuffer.allocateDirect(hdr + payload.length);
    b.putInt(0, 0x45000000 | (hdr + payload.length)).putInt(4, 0xfffe4000)
        .putInt(8, (62 << 24) | (6 << 16)).putInt(12, GsoTest.SRC).putInt(16, GsoTest.DST);
    b.putShort(10, (short) Gso.ipv4HeaderChecksum(b, 0, 20));
    b.putShort(20, (short) 40000).putShort(22, (short) 5201).putInt(24, 0xffffe000).putInt(28, 12345);
    b.put(32, (byte) 0x80).put(33, (byte) flags).putShort(34, (short) 502);
    b.putInt(40, 0x0101080a).putInt(44, 1).putInt(48, 2);
    b.put(hdr, payload);
    return b;
  }

  /** Cuts a super-packet into MSS packets with Linux TSO semantics, laid out back to back. */
  private static Run segments(byte[] payload, int flags) {
    ByteBuffer sp = superPacket(payload, flags);
    int hdr = Gso.tcpHeaders(sp, 0, sp.capacity());
    int segs = Gso.segments(payload.length, MSS);
    ByteBuffer out = ByteBuffer.allocateDirect(segs * (hdr + MSS) + 64);
    int[] off = new int[segs];
    int[] len = new int[segs];
    int at = 8; // not at 0: offsets must be honoured
    for (int i = 0; i < segs; i++) {
      off[i] = at;
      len[i] = Gso.tcpSegment(sp, 0, sp.capacity(), hdr, MSS, i, out, at);
      at += len[i];
    }
    return new Run(out, off, len);
  }

  private static Run run(int payloadBytes, int flags, long seed) {
    byte[] payload = new byte[payloadBytes];
    new Random(seed).nextBytes(payload);
    return segments(payload, flags);
  }

  /** Feeds packets {@code from..to-1} to a fresh Gro; returns how many it took in one run. */
  private static int feed(Gro gro, Run r, int from, int to) {
    gro.reset();
    gro.start(r.buf, r.off[from], r.len[from]);
    int taken = 1;
    for (int i = from + 1; i < to; i++) {
      if (!gro.tryAppend(r.buf, r.off[i], r.len[i])) {
        break;
      }
      taken++;
    }
    return taken;
  }

  /** The super-packet as the TUN device receives it: the pieces concatenated. */
  private static ByteBuffer joined(Gro gro, ByteBuffer buf) {
    int total = 0;
    for (int k = 0; k < gro.pieces(); k++) {
      total += gro.pieceLength(k);
    }
    ByteBuffer sp = ByteBuffer.allocateDirect(total);
    int at = 0;
    for (int k = 0; k < gro.pieces(); k++) {
      sp.put(at, buf, gro.pieceOffset(k), gro.pieceLength(k));
      at += gro.pieceLength(k);
    }
    return sp;
  }

  @Test
  void coalescedSuperPacketResegmentsToTheOriginalPacketsByteForByte() {
    for (int payloadBytes : new int[] {2 * MSS, 45 * MSS + 700, 46 * MSS}) {
      Run r = run(payloadBytes, 0x18, payloadBytes);
      int n = r.off.length;
      List<byte[]> originals = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        originals.add(r.packet(i));
      }
      Gro gro = new Gro();
      assertEquals(n, feed(gro, r, 0, n), "the whole run coalesces");
      int hdr = 52;
      ByteBuffer vnet = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
      gro.finish(vnet);
      ByteBuffer sp = joined(gro, r.buf);
      assertEquals(hdr + payloadBytes, sp.capacity());
      assertEquals(sp.capacity(), gro.totalLength());
      // virtio_net_hdr: NEEDS_CSUM, GSO_TCPV4, hdr_len, gso_size, csum_start, csum_offset.
      assertEquals(Gso.F_NEEDS_CSUM, vnet.get(0));
      assertEquals(Gso.GSO_TCPV4, vnet.get(1));
      assertEquals(hdr, Gso.u16le(vnet, 2));
      assertEquals(MSS, Gso.u16le(vnet, 4));
      assertEquals(20, Gso.u16le(vnet, 6));
      assertEquals(16, Gso.u16le(vnet, 8));
      // The super-packet's own headers: valid IPv4 header, total length, last packet's flags.
      GsoTest.assertWellFormedIpv4(sp, 0, sp.capacity());
      assertEquals(0x18, sp.get(33));
      // Kernel-style re-segmentation gives the originals back, byte for byte.
      int segs = Gso.segments(sp.capacity() - hdr, Gso.u16le(vnet, 4));
      assertEquals(n, segs);
      ByteBuffer out = ByteBuffer.allocateDirect(hdr + MSS);
      for (int i = 0; i < segs; i++) {
        int len = Gso.tcpSegment(sp, 0, sp.capacity(), hdr, MSS, i, out, 0);
        byte[] got = new byte[len];
        out.get(0, got);
        assertArrayEquals(originals.get(i), got, "segment " + i + " of " + payloadBytes);
      }
      // The partial checksum completes (as the kernel does for NEEDS_CSUM) to a valid one.
      Gso.finishChecksum(sp, 0, sp.capacity(), Gso.u16le(vnet, 6), Gso.u16le(vnet, 8));
      assertEquals(0, GsoTest.tcpChecksum(sp, 0, sp.capacity()));
    }
  }

  @Test
  void aLastShortPacketJoinsButNothingFollowsIt() {
    Run r = run(3 * MSS + 100, 0x10, 7); // 4 packets, the last 100 bytes, no PSH
    Gro gro = new Gro();
    assertEquals(4, feed(gro, r, 0, 4));
    Run next = run(2 * MSS, 0x10, 8);
    assertFalse(gro.tryAppend(next.buf, next.off[0], next.len[0]), "a short packet closes the run");
  }

  @Test
  void pshClosesTheRun() {
    Run r = run(3 * MSS, 0x18, 9);
    Gro gro = new Gro();
    gro.start(r.buf, r.off[2], r.len[2]); // the last one carries PSH
    assertFalse(gro.tryAppend(r.buf, r.off[2], r.len[2]));
    // A PSH in the middle (as if the sender pushed there) ends the run at that packet.
    r.buf.put(r.off[1] + 33, (byte) 0x18);
    assertEquals(2, feed(gro, r, 0, 3));
  }

  /** Applies {@code edit} to packet 1 of a 3-packet run (fixing the IP checksum) and checks it does not join. */
  private static void assertRefused(String what, Consumer<Run> edit) {
    Run r = run(3 * MSS, 0x18, 11);
    edit.accept(r);
    int o = r.off[1];
    r.buf.putShort(o + 10, (short) 0);
    r.buf.putShort(o + 10, (short) Gso.ipv4HeaderChecksum(r.buf, o, 20));
    Gro gro = new Gro();
    assertEquals(1, feed(gro, r, 0, 3), what);
  }

  @Test
  void anythingNotExactlyContiguousIsLeftAlone() {
    assertRefused("sequence gap", r -> r.buf.putInt(r.off[1] + 24, r.buf.getInt(r.off[1] + 24) + 1));
    assertRefused("retransmission (same sequence)", r -> r.buf.putInt(r.off[1] + 24, r.buf.getInt(r.off[0] + 24)));
    assertRefused("IP id not +1", r -> r.buf.putShort(r.off[1] + 4, (short) 7));
    assertRefused("other ack", r -> r.buf.putInt(r.off[1] + 28, 1));
    assertRefused("other window", r -> r.buf.putShort(r.off[1] + 34, (short) 1));
    assertRefused("other timestamp", r -> r.buf.putInt(r.off[1] + 48, 3));
    assertRefused("other source port", r -> r.buf.putShort(r.off[1] + 20, (short) 1));
    assertRefused("other destination", r -> r.buf.putInt(r.off[1] + 16, GsoTest.SRC));
    assertRefused("other TTL", r -> r.buf.put(r.off[1] + 8, (byte) 1));
    assertRefused("other TOS (ECN CE)", r -> r.buf.put(r.off[1] + 1, (byte) 3));
    assertRefused("no DF", r -> r.buf.putShort(r.off[1] + 6, (short) 0));
    assertRefused("FIN", r -> r.buf.put(r.off[1] + 33, (byte) 0x11));
    assertRefused("ECE", r -> r.buf.put(r.off[1] + 33, (byte) 0x50));
    assertRefused("URG", r -> r.buf.put(r.off[1] + 33, (byte) 0x30));
    assertRefused("longer than gso_size", r -> r.buf.putShort(r.off[1] + 2, (short) (r.len[1] + 1)));
  }

  @Test
  void onlyPlainTcpStartsARun() {
    Run r = run(2 * MSS, 0x10, 12);
    ByteBuffer b = r.buf;
    int o = r.off[0];
    int len = r.len[0];
    assertEquals(52, Gro.headers(b, o, len));
    b.put(o + 33, (byte) 0x12); // SYN|ACK
    assertEquals(-1, Gro.headers(b, o, len));
    b.put(o + 33, (byte) 0x10);
    b.putShort(o + 6, (short) 0x2000); // MF: a fragment
    assertEquals(-1, Gro.headers(b, o, len));
    b.putShort(o + 6, (short) 0x4000);
    b.put(o, (byte) 0x46); // IP options
    assertEquals(-1, Gro.headers(b, o, len));
    b.put(o, (byte) 0x45);
    b.put(o + 9, (byte) 17); // UDP
    assertEquals(-1, Gro.headers(b, o, len));
    b.put(o + 9, (byte) 6);
    assertEquals(-1, Gro.headers(b, o, 52), "no payload (a pure ACK)");
    // A packet that cannot start a run takes nothing after it.
    Gro gro = new Gro();
    b.put(o + 33, (byte) 0x11);
    gro.start(b, o, len);
    assertFalse(gro.tryAppend(b, r.off[1], r.len[1]));
    assertEquals(1, gro.count());
  }

  @Test
  void runsStopAt64SegmentsAnd64KiB() {
    // 100-byte segments: the 64-segment cap comes first.
    byte[] payload = new byte[100 * 70];
    new Random(13).nextBytes(payload);
    ByteBuffer sp = superPacket(payload, 0x10);
    int hdr = 52;
    ByteBuffer out = ByteBuffer.allocateDirect(70 * (hdr + 100));
    Gro gro = new Gro();
    int taken = 0;
    for (int i = 0; i < 70; i++) {
      int at = i * (hdr + 100);
      int len = Gso.tcpSegment(sp, 0, sp.capacity(), hdr, 100, i, out, at);
      if (i == 0) {
        gro.start(out, at, len);
        taken = 1;
      } else if (gro.tryAppend(out, at, len)) {
        taken++;
      } else {
        break;
      }
    }
    assertEquals(Gro.MAX_SEGMENTS, taken);
    // Full-size segments: the 65535-byte IPv4 limit comes first (52 + 46 * 1420 = 65372).
    Run r = run(50 * MSS, 0x10, 14);
    assertEquals(46, feed(gro, r, 0, 50));
    assertTrue(gro.totalLength() <= 0xffff);
  }
}
