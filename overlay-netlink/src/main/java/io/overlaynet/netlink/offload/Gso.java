package io.overlaynet.netlink.offload;

import java.nio.ByteBuffer;

/**
 * What a NIC would do with the packets a TUN device with offloads hands over: finish a partial
 * checksum, and cut a TCP/IPv4 super-packet (TSO) into MSS-sized IPv4 packets, each with its
 * own IP id, length and header checksum, TCP sequence number, flags and full TCP checksum — so
 * each becomes one ordinary packet on the wire, exactly what a peer without offloads sends. Pure
 * functions on big-endian buffers (heap or direct). Shared by the userspace data paths (udp,
 * wireguard): exported to them only.
 */
public final class Gso {

  /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}. */
  public static final int F_NEEDS_CSUM = 1;
  /** {@code VIRTIO_NET_HDR_GSO_NONE}. */
  public static final int GSO_NONE = 0;
  /** {@code VIRTIO_NET_HDR_GSO_TCPV4}. */
  public static final int GSO_TCPV4 = 1;
  private static final int PROTO_TCP = 6;
  private static final int PROTO_UDP = 17;

  /** Bytes of an IPv4 header without options. */
  public static final int IPV4_HEADER = 20;

  private Gso() {}

  /**
   * Returns the ones' complement checksum over an IPv4 header of {@code ihl} bytes (a multiple
   * of 4): 0 for a header whose checksum field is right.
   */
  public static int ipv4HeaderChecksum(ByteBuffer b, int off, int ihl) {
    long sum = 0;
    for (int i = 0; i < ihl; i += 4) {
      sum += b.getInt(off + i) & 0xffffffffL;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }

  /** Reads a little-endian u16 of the vnet header (virtio is little-endian on every Linux host we run on). */
  public static int u16le(ByteBuffer b, int off) {
    return (b.get(off) & 0xff) | ((b.get(off + 1) & 0xff) << 8);
  }

  /**
   * Completes a {@code CHECKSUM_PARTIAL} packet: the kernel put the pseudo-header sum in the
   * checksum field; the ones' complement sum from {@code csumStart} to the end goes there.
   */
  public static void finishChecksum(ByteBuffer pkt, int off, int len, int csumStart, int csumOffset) {
    int field = off + csumStart + csumOffset;
    if (csumStart < Gso.IPV4_HEADER || csumStart + csumOffset + 2 > len) {
      return; // not a layout we can complete; the receiver will drop it as corrupt
    }
    int c = checksum(pkt, off + csumStart, len - csumStart, 0);
    if (c == 0 && (pkt.get(off + 9) & 0xff) == PROTO_UDP) {
      c = 0xffff; // 0 means "no checksum" in UDP
    }
    pkt.putShort(field, (short) c);
  }

  /** Returns the number of segments a payload of {@code payload} bytes makes at {@code mss}. */
  public static int segments(int payload, int mss) {
    return payload <= 0 ? 1 : (payload + mss - 1) / mss;
  }

  /** Returns the IP + TCP header length of the TCP/IPv4 packet at {@code off}, or -1 if malformed. */
  public static int tcpHeaders(ByteBuffer src, int off, int len) {
    int ihl = (src.get(off) & 0x0f) << 2;
    if ((src.get(off + 9) & 0xff) != PROTO_TCP || ihl + 20 > len) {
      return -1;
    }
    int thl = ((src.get(off + ihl + 12) & 0xff) >>> 4) << 2;
    return thl < 20 || ihl + thl > len ? -1 : ihl + thl;
  }

  /**
   * Writes segment {@code i} of the TCP/IPv4 super-packet {@code src[off, off+len)} (headers of
   * {@code hdr} bytes, see {@link #tcpHeaders}) to {@code out} at {@code outOff}.
   *
   * @return the segment's length
   */
  public static int tcpSegment(ByteBuffer src, int off, int len, int hdr, int mss, int i, ByteBuffer out, int outOff) {
    int ihl = (src.get(off) & 0x0f) << 2;
    int payload = len - hdr;
    int start = i * mss;
    int chunk = Math.max(0, Math.min(mss, payload - start));
    boolean last = start + chunk >= payload;
    out.put(outOff, src, off, hdr);
    out.put(outOff + hdr, src, off + hdr + start, chunk);
    int segLen = hdr + chunk;
    // IP: length, id + i (as Linux TSO does), fresh header checksum.
    out.putShort(outOff + 2, (short) segLen);
    out.putShort(outOff + 4, (short) (src.getShort(off + 4) + i));
    out.putShort(outOff + 10, (short) 0);
    out.putShort(outOff + 10, (short) Gso.ipv4HeaderChecksum(out, outOff, ihl));
    // TCP: sequence advances by the bytes before this segment; FIN and PSH only on the last,
    // CWR only on the first.
    int tcp = outOff + ihl;
    out.putInt(tcp + 4, src.getInt(off + ihl + 4) + start);
    int flags = src.get(off + ihl + 13) & 0xff;
    if (!last) {
      flags &= ~0x09;
    }
    if (i > 0) {
      flags &= ~0x80;
    }
    out.put(tcp + 13, (byte) flags);
    out.putShort(tcp + 16, (short) 0);
    int srcIp = out.getInt(outOff + 12);
    int dstIp = out.getInt(outOff + 16);
    int tcpLen = segLen - ihl;
    long pseudo = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + PROTO_TCP + tcpLen;
    out.putShort(tcp + 16, (short) checksum(out, tcp, tcpLen, pseudo));
    return segLen;
  }

  /** The Internet checksum over {@code len} bytes at {@code off}, starting from {@code initial}; 8 bytes a step. */
  public static int checksum(ByteBuffer b, int off, int len, long initial) {
    long sum = initial;
    int i = 0;
    for (; i + 8 <= len; i += 8) {
      long v = b.getLong(off + i);
      sum += (v >>> 32) + (v & 0xffffffffL);
    }
    for (; i + 2 <= len; i += 2) {
      sum += b.getShort(off + i) & 0xffff;
    }
    if (i < len) {
      sum += (b.get(off + i) & 0xff) << 8;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }
}
