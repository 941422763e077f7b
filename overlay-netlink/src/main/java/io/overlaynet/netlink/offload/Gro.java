package io.overlaynet.netlink.offload;

import java.nio.ByteBuffer;

/**
 * Receive-side coalescing (what kernel GRO and wireguard-go's TUN offload do): consecutive
 * TCP/IPv4 segments of one flow, received as separate datagrams, become one TCP super-packet
 * written to the TUN device with a {@code virtio_net_hdr} ({@code GSO_TCPV4}, {@code gso_size}
 * = the segments' payload size, {@code NEEDS_CSUM}), so the kernel forwards one skb instead of
 * ~45. Splitting the result by {@code gso_size}, as the kernel does, gives back the original
 * packets: same headers, sequence numbers, flags, IP ids and payloads.
 *
 * <p>Deliberately conservative; a packet joins the current run only if:
 * <ul>
 *   <li>both are TCP/IPv4 with a 20-byte IP header, not fragments, and the same source,
 *       destination, ports, TOS, TTL, DF bit, TCP header length and option bytes (e.g.
 *       timestamps), acknowledgement number and window;
 *   <li>its IP id is the previous one + 1 and its sequence number is exactly the previous end;
 *   <li>flags are ACK only, except that the last packet of a run may also carry PSH (a PSH
 *       closes the run); no SYN, FIN, RST, URG, ECE or CWR, urgent pointer 0;
 *   <li>every packet but the last carries exactly {@code gso_size} payload bytes (a shorter one
 *       closes the run) and the whole stays within 65535 bytes and 64 segments.
 * </ul>
 * Everything else is written as it came. The packets' own TCP checksums are not re-verified:
 * each datagram's UDP checksum covered the whole inner packet, and the kernel fills the
 * coalesced checksum in from the data ({@code NEEDS_CSUM}).
 *
 * <p>One instance per receive thread; it records where the run's pieces are (offsets into the
 * caller's buffer) and edits only the first packet's headers, in {@link #finish}. Internal usage
 * only.
 */
public final class Gro {

  /** The most segments in one run. */
  public static final int MAX_SEGMENTS = 64;
  private static final int MAX_TOTAL = 0xffff;
  private static final int ACK = 0x10;
  private static final int PSH = 0x08;

  private ByteBuffer buf;
  private int count;
  /** Offsets and lengths of the pieces: the first packet whole, then each later payload. */
  private final int[] pieceOff = new int[MAX_SEGMENTS];
  private final int[] pieceLen = new int[MAX_SEGMENTS];
  private int first;
  private int ihl;
  private int hdrs;
  private int gsoSize;
  private int total;
  private int nextSeq;
  private int lastId;
  private int lastFlags;
  private boolean closed;

  /** Starts an empty run. */
  public void reset() {
    count = 0;
    buf = null;
  }

  /** Returns the number of packets in the current run (0 = none). */
  public int count() {
    return count;
  }

  /** Returns the number of pieces to write after the vnet header (= {@link #count()}). */
  public int pieces() {
    return count;
  }

  /** Returns the buffer offset of piece {@code k}. */
  public int pieceOffset(int k) {
    return pieceOff[k];
  }

  /** Returns the length of piece {@code k}. */
  public int pieceLength(int k) {
    return pieceLen[k];
  }

  /** Returns the payload bytes per segment of a run of 2 or more packets. */
  public int gsoSize() {
    return gsoSize;
  }

  /** Returns the total IPv4 length of the run as one packet. */
  public int totalLength() {
    return total;
  }

  /**
   * Starts a new run with the vetted IPv4 packet {@code b[off, off+len)} (the current run must
   * have been written and {@link #reset()}, or be empty).
   */
  public void start(ByteBuffer b, int off, int len) {
    buf = b;
    count = 1;
    first = off;
    pieceOff[0] = off;
    pieceLen[0] = len;
    total = len;
    int h = headers(b, off, len);
    closed = h < 0;
    if (closed) {
      return;
    }
    ihl = Gso.IPV4_HEADER;
    hdrs = h;
    gsoSize = len - h;
    int tcp = off + ihl;
    nextSeq = b.getInt(tcp + 4) + gsoSize;
    lastId = b.getShort(off + 4) & 0xffff;
    lastFlags = b.get(tcp + 13) & 0xff;
    closed = lastFlags != ACK; // PSH: the run ends with this packet
  }

  /**
   * Adds the vetted IPv4 packet {@code b[off, off+len)} to the run if it continues it exactly.
   *
   * @return false if it does not (nothing changed: write the run, then {@link #start} with it)
   */
  public boolean tryAppend(ByteBuffer b, int off, int len) {
    if (count == 0 || closed || b != buf || count == MAX_SEGMENTS) {
      return false;
    }
    int h = headers(b, off, len);
    int payload = len - h;
    if (h != hdrs || payload > gsoSize || total + payload > MAX_TOTAL) {
      return false;
    }
    // IP: TOS and total length skipped; id +1; flags/fragment word, TTL, protocol equal;
    // the header checksum may differ (id); addresses equal.
    if (b.get(off + 1) != b.get(first + 1)
        || (b.getShort(off + 4) & 0xffff) != ((lastId + 1) & 0xffff)
        || b.getShort(off + 6) != b.getShort(first + 6)
        || b.getShort(off + 8) != b.getShort(first + 8)
        || b.getLong(off + 12) != b.getLong(first + 12)) {
      return false;
    }
    int tcp = off + ihl;
    int tcp0 = first + ihl;
    int flags = b.get(tcp + 13) & 0xff;
    if (b.getInt(tcp) != b.getInt(tcp0)                 // ports
        || b.getInt(tcp + 4) != nextSeq                 // sequence continues exactly
        || b.getInt(tcp + 8) != b.getInt(tcp0 + 8)      // ack
        || b.get(tcp + 12) != b.get(tcp0 + 12)          // data offset (and reserved bits)
        || (flags != ACK && flags != (ACK | PSH))
        || b.getShort(tcp + 14) != b.getShort(tcp0 + 14) // window
        || !sameOptions(b, tcp, tcp0)) {
      return false;
    }
    pieceOff[count] = off + h;
    pieceLen[count] = payload;
    count++;
    total += payload;
    nextSeq += payload;
    lastId = (lastId + 1) & 0xffff;
    lastFlags = flags;
    closed = payload < gsoSize || flags != ACK;
    return true;
  }

  private boolean sameOptions(ByteBuffer b, int tcp, int tcp0) {
    for (int i = 20; i < hdrs - ihl; i += 4) {
      if (b.getInt(tcp + i) != b.getInt(tcp0 + i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Turns a run of 2 or more packets into one super-packet: rewrites the first packet's IP
   * total length and header checksum, its TCP flags (the last packet's) and its TCP checksum
   * (the pseudo-header sum over the whole length, as for {@code CHECKSUM_PARTIAL}), and writes
   * the 10-byte {@code virtio_net_hdr} to {@code vnet} at index 0. Pieces then are: the first
   * packet (now its headers + first payload) and the later payloads, in order.
   */
  public void finish(ByteBuffer vnet) {
    if (count < 2) {
      throw new IllegalStateException("nothing to coalesce");
    }
    ByteBuffer b = buf;
    b.putShort(first + 2, (short) total);
    b.putShort(first + 10, (short) 0);
    b.putShort(first + 10, (short) Gso.ipv4HeaderChecksum(b, first, ihl));
    int tcp = first + ihl;
    b.put(tcp + 13, (byte) lastFlags);
    int src = b.getInt(first + 12);
    int dst = b.getInt(first + 16);
    long sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + (total - ihl);
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    b.putShort(tcp + 16, (short) sum); // not inverted: the kernel adds the data's sum and inverts
    vnet.put(0, (byte) Gso.F_NEEDS_CSUM);
    vnet.put(1, (byte) Gso.GSO_TCPV4);
    putU16le(vnet, 2, hdrs);
    putU16le(vnet, 4, gsoSize);
    putU16le(vnet, 6, ihl);
    putU16le(vnet, 8, 16);
  }

  private static void putU16le(ByteBuffer b, int off, int v) {
    b.put(off, (byte) v);
    b.put(off + 1, (byte) (v >>> 8));
  }

  /**
   * Returns the IP + TCP header length if the packet may start or join a run (TCP/IPv4, no IP
   * options, not a fragment, payload, ACK or ACK|PSH, urgent pointer 0), else -1.
   */
  static int headers(ByteBuffer b, int off, int len) {
    if (len < 40 || (b.get(off) & 0xff) != 0x45 || (b.get(off + 9) & 0xff) != 6
        || (b.getShort(off + 6) & 0x3fff) != 0 || (b.getShort(off + 2) & 0xffff) != len) {
      return -1;
    }
    int tcp = off + Gso.IPV4_HEADER;
    int thl = ((b.get(tcp + 12) & 0xff) >>> 4) << 2;
    int flags = b.get(tcp + 13) & 0xff;
    if (thl < 20 || 20 + thl >= len || (flags != ACK && flags != (ACK | PSH)) || b.getShort(tcp + 18) != 0) {
      return -1;
    }
    return 20 + thl;
  }
}
