package io.overlaynet.udp.internal;

import io.overlaynet.udp.DropReason;
import io.overlaynet.netlink.offload.Gso;
import java.nio.ByteBuffer;

/**
 * IPv4 header logic of the data path, on big-endian buffers at absolute offsets, with no
 * allocation: validation, TTL decrement with an incremental checksum patch (RFC 1624) and
 * flannel's ICMP net unreachable. Internal usage only.
 */
public final class Ip4Packets {

  /** The size of an IPv4 header without options. */
  public static final int HEADER = 20;
  /** IP protocol number of ICMP. */
  public static final int PROTO_ICMP = 1;
  /** The TTL flannel gives its ICMP net unreachable. */
  public static final int ICMP_TTL = 8;
  /** The largest ICMP net unreachable: 20 + 8 + a 60-byte offender header + 8 bytes. */
  public static final int MAX_ICMP = HEADER + 8 + 60 + 8;

  private Ip4Packets() {}

  /**
   * Classifies the {@code len} bytes at {@code off} as a received datagram payload.
   *
   * @return null if it is a well-formed IPv4 packet (version 4, header length 20..60 within the
   *     packet, total length equal to {@code len}, correct header checksum), else why not
   */
  public static DropReason checkDatagram(ByteBuffer b, int off, int len) {
    if (len < HEADER) {
      return DropReason.TOO_SHORT;
    }
    int vihl = b.get(off) & 0xff;
    if ((vihl >>> 4) != 4) {
      return DropReason.BAD_VERSION;
    }
    int ihl = (vihl & 0x0f) << 2;
    if (ihl < HEADER || ihl > len) {
      return DropReason.BAD_HEADER_LENGTH;
    }
    if ((b.getShort(off + 2) & 0xffff) != len) {
      return DropReason.BAD_TOTAL_LENGTH;
    }
    if (headerChecksum(b, off, ihl) != 0) {
      return DropReason.BAD_CHECKSUM;
    }
    return null;
  }

  /**
   * Returns whether the {@code len} bytes read from the TUN device look like an IPv4 packet the
   * kernel made: version 4, header length within the packet. The kernel's own packets need no
   * checksum check.
   */
  public static boolean isIpv4(ByteBuffer b, int off, int len) {
    if (len < HEADER) {
      return false;
    }
    int vihl = b.get(off) & 0xff;
    int ihl = (vihl & 0x0f) << 2;
    return (vihl >>> 4) == 4 && ihl >= HEADER && ihl <= len;
  }

  /** Returns the source address of the packet at {@code off}, as a big-endian int. */
  public static int source(ByteBuffer b, int off) {
    return b.getInt(off + 12);
  }

  /** Returns the destination address of the packet at {@code off}, as a big-endian int. */
  public static int destination(ByteBuffer b, int off) {
    return b.getInt(off + 16);
  }

  /**
   * Decrements the TTL of the packet at {@code off} and patches the header checksum
   * incrementally (RFC 1624 eqn. 3: {@code HC' = ~(~HC + ~m + m')}), as flannel's proxy does on
   * both legs.
   *
   * @return false if the TTL would reach 0 (or already is 0): the packet must be dropped; the
   *     packet is then left unchanged
   */
  public static boolean decrementTtl(ByteBuffer b, int off) {
    int word = b.getShort(off + 8) & 0xffff; // TTL is the high byte, the protocol the low one
    if (word < 0x200) {
      return false;
    }
    int newWord = word - 0x100;
    int hc = b.getShort(off + 10) & 0xffff;
    int sum = (~hc & 0xffff) + (~word & 0xffff) + newWord;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    b.putShort(off + 8, (short) newWord);
    b.putShort(off + 10, (short) ~sum);
    return true;
  }

  /**
   * Returns the ones' complement checksum over an IPv4 header of {@code ihl} bytes (a multiple
   * of 4): 0 for a header whose checksum field is right.
   */
  public static int headerChecksum(ByteBuffer b, int off, int ihl) {
    return Gso.ipv4HeaderChecksum(b, off, ihl);
  }

  /** Returns the Internet checksum (RFC 1071) over {@code len} bytes at {@code off}. */
  public static int checksum(ByteBuffer b, int off, int len) {
    long sum = 0;
    int i = 0;
    for (; i + 4 <= len; i += 4) {
      sum += b.getInt(off + i) & 0xffffffffL;
    }
    for (; i + 2 <= len; i += 2) {
      sum += b.getShort(off + i) & 0xffff;
    }
    if (i < len) {
      sum += (b.get(off + i) & 0xff) << 8;
    }
    return fold(sum);
  }

  private static int fold(long sum) {
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }

  /**
   * Writes the ICMP destination unreachable / net unreachable that flannel's proxy sends back into
   * the TUN device for a packet with no route: source {@code tunAddr}, destination the
   * offender's source, TTL 8, payload the offender's IP header and its first 8 data bytes.
   *
   * <p>None is made (0 is returned) for a malformed offender, a non-first fragment, an ICMP error
   * (RFC 1122 3.2.2: never an ICMP error about an ICMP error; flannel skips every ICMP offender,
   * this backend still answers e.g. an echo request so {@code ping} reports the unreachable
   * net), or an offender whose source cannot receive it (unspecified, multicast, broadcast) or
   * whose destination is multicast or broadcast.
   *
   * @param pkt the offender, at {@code off}, {@code len} bytes
   * @param tunAddr this node's TUN address (its lease subnet address), big-endian int
   * @param out where the ICMP packet is written, from index 0; at least {@link #MAX_ICMP} bytes
   * @return the length of the ICMP packet, or 0 if none should be sent
   */
  public static int netUnreachable(ByteBuffer pkt, int off, int len, int tunAddr, ByteBuffer out) {
    if (!isIpv4(pkt, off, len)) {
      return 0;
    }
    int ihl = (pkt.get(off) & 0x0f) << 2;
    if ((pkt.getShort(off + 6) & 0x1fff) != 0) {
      return 0; // only the first fragment carries the header the sender can match
    }
    if ((pkt.get(off + 9) & 0xff) == PROTO_ICMP) {
      if (len <= ihl || isIcmpError(pkt.get(off + ihl) & 0xff)) {
        return 0;
      }
    }
    int src = source(pkt, off);
    int dst = destination(pkt, off);
    if (!isUnicast(src) || !isUnicast(dst)) {
      return 0;
    }
    int quote = Math.min(len, ihl + 8);
    int icmpLen = 8 + quote;
    int total = HEADER + icmpLen;
    // IP header: v4, IHL 5, TOS 0, id 0, no fragment flags (flannel memsets these to 0 too).
    out.putInt(0, 0x45000000 | total);
    out.putInt(4, 0);
    out.putInt(8, (ICMP_TTL << 24) | (PROTO_ICMP << 16));
    out.putInt(12, tunAddr);
    out.putInt(16, src);
    out.putShort(10, (short) headerChecksum(out, 0, HEADER));
    // ICMP: type 3 (destination unreachable), code 0 (net unreachable), checksum, unused 0.
    out.putInt(HEADER, 0x03000000);
    out.putInt(HEADER + 4, 0);
    for (int i = 0; i < quote; i++) {
      out.put(HEADER + 8 + i, pkt.get(off + i));
    }
    out.putShort(HEADER + 2, (short) checksum(out, HEADER, icmpLen));
    return total;
  }

  private static boolean isIcmpError(int type) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  }

  private static boolean isUnicast(int addr) {
    return addr != 0 && addr != -1 && (addr >>> 28) != 0xe;
  }
}
