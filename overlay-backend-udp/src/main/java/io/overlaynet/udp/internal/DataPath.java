package io.overlaynet.udp.internal;

import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.UdpBatch;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.netlink.Wakeup;
import io.overlaynet.netlink.offload.Gro;
import io.overlaynet.netlink.offload.Gso;
import io.overlaynet.udp.DropReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The packet pump of the udp backend: per queue, one thread moves packets TUN → UDP and one UDP →
 * TUN, in batches ({@code read} until the TUN queue is empty or the batch full, then one
 * {@code sendmmsg}; one {@code recvmmsg}, then a {@code write} per packet).
 *
 * <p>With a vnet header (TUN offload, the default) both legs work on ~64 KiB at a time: a read
 * returns a TCP super-packet, cut here into MSS-sized IPv4 packets sent as one
 * {@code UDP_SEGMENT} train (the kernel emits one datagram per packet); a receive with
 * {@code UDP_GRO} returns such a train, and consecutive segments of one TCP flow go back into
 * the device as one super-packet ({@link Gro}, one {@code writev}). The wire format is the same
 * in every mode: one plain IPv4 packet per datagram.
 *
 * <p>Packets are processed in place in direct buffers allocated once (the payload areas of
 * {@link UdpBatch}es, handed to the TUN device as regions); there is no allocation per packet.
 * Threads wait in {@code poll} together with an eventfd that {@link #close()} signals, because a
 * thread in a native call cannot be interrupted.
 *
 * <p>The fds are borrowed: {@link #close()} stops and joins the threads, then the owner closes
 * the TUN queues and sockets, so no thread ever touches a closed (or recycled) fd number.
 * Internal usage only.
 */
public final class DataPath implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DataPath.class);

  /** Slot size per packet: the largest IPv4 packet, so nothing is ever truncated. */
  static final int SLOT = 65536;
  /** Room one TCP super-packet needs once segmented: 64 KiB plus a copy of the headers per segment. */
  private static final int SUPER = SLOT + 64 * 128;
  /** The most segments the kernel takes in one {@code UDP_SEGMENT} send (UDP_MAX_SEGMENTS, 64 before Linux 6.x). */
  private static final int UDP_MAX_SEGMENTS = 64;
  /** The largest UDP payload over IPv4 (65535 - 20 - 8). */
  private static final int UDP_MAX_PAYLOAD = 65507;
  /** errno {@code EIO}: the answer to {@code UDP_SEGMENT} on a route whose device cannot checksum it. */
  private static final int EIO = 5;

  /** The fixed parameters of a data path. */
  public record Config(String device, int tunAddr, int ownNetwork, int ownMask, int port, int batch, int mtu,
      boolean vnetHeader, boolean udpGso, boolean udpGro) {
    /** Checks the components. */
    public Config {
      Objects.requireNonNull(device, "device");
      if (batch < 1 || batch > 1024) {
        throw new IllegalArgumentException("batch must be in 1..1024: " + batch);
      }
      if ((udpGso || udpGro) && !vnetHeader) {
        throw new IllegalArgumentException("UDP GSO/GRO need the vnet header (TUN offload)");
      }
    }
  }

  private final Config config;
  private final Counters counters;
  private final Wakeup wake;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private volatile PeerTable peers = PeerTable.EMPTY;
  private boolean wakeClosed;

  /**
   * Prepares a data path; {@link #start} launches its threads.
   *
   * @throws java.io.IOException if the wake-up eventfd cannot be made
   */
  public DataPath(Config config, Counters counters) throws java.io.IOException {
    this.config = config;
    this.counters = counters;
    this.wake = Wakeup.create();
  }

  /** Replaces the peer table; data-path threads see it from their next batch. */
  public void setPeers(PeerTable table) {
    this.peers = Objects.requireNonNull(table);
  }

  /** Returns the current peer table. */
  public PeerTable peers() {
    return peers;
  }

  /**
   * Starts the two threads of one queue: TUN queue {@code tun} (non-blocking) and UDP socket
   * {@code sock}, both borrowed. Threads are created by the calling thread and so live in its network
   * namespace (irrelevant for the fds, but it keeps every thread of a host in the host).
   */
  public synchronized void start(int queue, TunDevice tun, UdpSocket sock) {
    Thread tx = new Thread(new TunToUdp(tun, sock), "overlaynet-udp-tx-" + config.device() + "-" + queue);
    Runnable rxLoop = config.vnetHeader() ? new UdpToVnetTun(tun, sock) : new UdpToTun(tun, sock);
    Thread rx = new Thread(rxLoop, "overlaynet-udp-rx-" + config.device() + "-" + queue);
    for (Thread t : List.of(tx, rx)) {
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /**
   * Stops every thread and waits for them, at most {@code timeoutMillis} in all.
   *
   * @return whether all threads ended in time (if not, the fds must not be closed)
   */
  public synchronized boolean stop(long timeoutMillis) {
    if (running.compareAndSet(true, false)) {
      wake.signal();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    boolean all = true;
    boolean interrupted = false;
    for (Thread t : threads) {
      // An interrupted caller (an agent closing while it starts) still waits: answering "not
      // stopped" at once would leave the device and the port open for nothing.
      while (t.isAlive()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        try {
          t.join(left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      all &= !t.isAlive();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return all;
  }

  /** Stops the threads (1 s at most) and releases the eventfd; idempotent. */
  @Override
  public synchronized void close() {
    boolean stopped = stop(1000);
    if (!wakeClosed && stopped) {
      wakeClosed = true;
      wake.close();
    } else if (!stopped) {
      log.warn("udp data path threads did not stop within 1 s");
    }
  }

  /** What the loops share: a waiter (its own pollfd[2]) on the data path's wake-up. */
  private abstract class Loop implements Runnable {
    final Wakeup.Waiter waiter = wake.newWaiter();
    private long lastErrorLog;

    /** Waits until {@code fd} has {@code events}; returns false once the data path stops. */
    boolean await(int fd, short events, int timeoutMillis) {
      return waiter.await(fd, events, timeoutMillis) && running.get();
    }

    /** Logs an unexpected error at most once a second, then pauses briefly so errors cannot spin. */
    boolean failed(String op, NetlinkException e) {
      long now = System.nanoTime();
      if (now - lastErrorLog > TimeUnit.SECONDS.toNanos(1)) {
        lastErrorLog = now;
        log.warn("{} on {}: {}", op, config.device(), e.getMessage());
      }
      return await(-1, (short) 0, 100);
    }

    @Override
    public final void run() {
      try {
        loop();
      } catch (RuntimeException | Error e) {
        log.error("udp data path thread {} died", Thread.currentThread().getName(), e);
        throw e;
      }
    }

    abstract void loop();

    /**
     * Receives one batch with {@code recvmmsg} into {@code rx}'s slots, each its own region; on
     * an empty socket waits for it to become readable. Returns the message count, 0 to try again,
     * or -1 once the data path stops.
     */
    int receiveOrWait(UdpSocket sock, UdpBatch rx) {
      int r;
      try {
        r = sock.receive(rx);
      } catch (NetlinkException e) {
        return failed("UDP receive", e) ? 0 : -1;
      }
      if (r > 0) {
        return r;
      }
      return await(sock.fd(), Wakeup.POLLIN, -1) ? 0 : -1;
    }
  }

  /**
   * TUN → UDP: read packets until the TUN queue is empty or the batch full, route each, send the
   * batch with one {@code sendmmsg}. With a vnet header, a TCP super-packet is segmented into the
   * batch first (each segment its own datagram, as on flanneld's wire).
   */
  private final class TunToUdp extends Loop {
    private final TunDevice tun;
    private final UdpSocket sock;
    private final boolean vnet = config.vnetHeader();
    private final int batch = config.batch();
    /** Plain mode: one packet per slot, read straight into it. */
    private final int slot = SLOT;
    /**
     * Message slots: without a vnet header one per packet; with it a super-packet may add up to
     * ~45 more (one per segment when UDP GSO is off).
     */
    private final int slots = vnet ? batch + 64 : batch;
    /** Plain mode: {@code slots} slots; vnet mode: packed datagrams, with room for two super-packets after the batch. */
    private final int capacity;
    /** The messages being assembled; their payload area is {@link #pkts}. */
    private final UdpBatch tx;
    private final ByteBuffer pkts;
    /**
     * Plain mode: a view of {@link #pkts} that hands the TUN read its slot (position and limit),
     * so that {@code pkts}' own limit stays at its capacity for the absolute accesses.
     */
    private final ByteBuffer readView;
    /** Segments per message (1 without UDP GSO). */
    private final int[] segCount;
    /** vnet mode: where each read lands (vnet header + up to 64 KiB). */
    private final ByteBuffer in;
    /** ICMP replies: {@code hdr} zero bytes (the vnet header of a plain packet), then the packet. */
    private final int hdr = vnet ? TunDevice.VNET_HDR_SIZE : 0;
    private final ByteBuffer icmp = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE + Ip4Packets.MAX_ICMP);
    private final ByteBuffer icmpBody;
    private boolean gso = config.udpGso();
    private int n;
    /** vnet mode: where the next datagram goes in {@code pkts}. */
    private int cursor;
    private long bytes;

    TunToUdp(TunDevice tun, UdpSocket sock) {
      this.tun = tun;
      this.sock = sock;
      capacity = vnet ? batch * align(config.mtu() + 64) + 2 * SUPER : slots * slot;
      tx = UdpBatch.allocate(slots, capacity);
      pkts = tx.payload();
      readView = pkts.duplicate();
      segCount = new int[slots];
      in = vnet ? ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE + SLOT) : null;
      icmpBody = icmp.slice(hdr, Ip4Packets.MAX_ICMP);
    }

    @Override
    void loop() {
      while (running.get()) {
        PeerTable table = peers;
        n = 0;
        cursor = 0;
        bytes = 0;
        boolean drained = false;
        while (n < batch && (!vnet || cursor + SUPER <= capacity)) {
          // One non-blocking read, straight into this packet's slot (vnet: into in).
          ByteBuffer dst = vnet ? in.clear() : readView.limit((n + 1) * slot).position(n * slot);
          int r;
          try {
            r = tun.read(dst, 0);
          } catch (NetlinkException e) {
            if (!failed("TUN read", e)) {
              return;
            }
            drained = true;
            break;
          }
          if (r < 0) {
            return; // the device was closed under us: the owner is shutting down
          }
          if (r == 0) {
            drained = true;
            break;
          }
          if (vnet) {
            onVnetPacket(table, r);
          } else {
            onPacket(table, pkts, n * slot, r);
          }
        }
        if (n > 0) {
          send(n, bytes);
        }
        if (drained && !await(tun.fd(), Wakeup.POLLIN, -1)) {
          return;
        }
      }
    }

    /** Routes one plain packet; returns the peer or null if dropped. */
    private PeerTable.Peer route(PeerTable table, ByteBuffer b, int off, int len) {
      if (!Ip4Packets.isIpv4(b, off, len)) {
        counters.drop(DropReason.TUN_MALFORMED);
        return null;
      }
      PeerTable.Peer peer = table.route(Ip4Packets.destination(b, off));
      if (peer == null) {
        counters.drop(DropReason.NO_ROUTE);
        unreachable(b, off, len);
        return null;
      }
      if (!Ip4Packets.decrementTtl(b, off)) {
        counters.drop(DropReason.TTL_EXPIRED);
        return null;
      }
      return peer;
    }

    private void onPacket(PeerTable table, ByteBuffer b, int off, int len) {
      PeerTable.Peer peer = route(table, b, off, len);
      if (peer != null) {
        queue(peer, off, len, 1, 0);
      }
    }

    /**
     * One read with a vnet header: a plain packet is copied to the cursor; a TCP super-packet is
     * cut into MSS-sized packets laid out back to back, sent with {@code UDP_SEGMENT} = their
     * size (as many per datagram train as fit in 64 KiB): the kernel sends each as its own
     * datagram, exactly as if sent one by one.
     */
    private void onVnetPacket(PeerTable table, int r) {
      int off = TunDevice.VNET_HDR_SIZE;
      int len = r - off;
      PeerTable.Peer peer = route(table, in, off, len);
      if (peer == null) {
        return;
      }
      int gsoType = in.get(1) & 0x7f; // without the ECN bit
      if (gsoType == Gso.GSO_NONE) {
        if ((in.get(0) & Gso.F_NEEDS_CSUM) != 0) {
          Gso.finishChecksum(in, off, len, Gso.u16le(in, 6), Gso.u16le(in, 8));
        }
        pkts.put(cursor, in, off, len);
        queue(peer, cursor, len, 1, 0);
        cursor += align(len);
        return;
      }
      int hdrs = Gso.tcpHeaders(in, off, len);
      int mss = Gso.u16le(in, 4);
      if (gsoType != Gso.GSO_TCPV4 || hdrs < 0 || mss <= 0 || hdrs + mss > config.mtu()) {
        counters.drop(DropReason.TUN_MALFORMED);
        return;
      }
      int segs = Gso.segments(len - hdrs, mss);
      int perMessage = gso ? Math.max(1, Math.min(UDP_MAX_SEGMENTS, UDP_MAX_PAYLOAD / (hdrs + mss))) : 1;
      for (int i = 0; i < segs; ) {
        int take = Math.min(perMessage, segs - i);
        if (n == slots || cursor + take * (hdrs + mss) > capacity) {
          // A small MSS makes many segments: send what is queued and go on from the start.
          send(n, bytes);
          n = 0;
          bytes = 0;
          cursor = 0;
        }
        int start = cursor;
        for (int k = 0; k < take; k++) {
          cursor += Gso.tcpSegment(in, off, len, hdrs, mss, i + k, pkts, cursor);
        }
        queue(peer, start, cursor - start, take, take > 1 ? hdrs + mss : 0);
        i += take;
      }
      cursor = align(cursor);
    }

    /**
     * Queues message {@code n}: {@code len} bytes at {@code off} for {@code peer}, holding
     * {@code segs} packets of {@code segSize} bytes (the last may be shorter) if {@code segSize > 0}.
     */
    private void queue(PeerTable.Peer peer, int off, int len, int segs, int segSize) {
      tx.setPayload(n, off, len).setPeer(n, peer.publicIp(), config.port()).setSegmentSize(n, segSize);
      segCount[n] = segs;
      bytes += len;
      n++;
    }

    private void send(int count, long total) {
      int i = 0;
      long sent = 0;
      long calls = 0;
      while (i < count) {
        int r;
        try {
          r = sock.send(tx, i, count - i);
        } catch (NetlinkException e) {
          if (e.errno() == EIO && segCount[i] > 1 && tx.segmentSize(i) > 0) {
            // UDP GSO refused (EIO: the route's device cannot checksum it): stop using it and
            // send this train's packets one by one.
            if (gso) {
              gso = false;
              log.warn("UDP GSO (UDP_SEGMENT) refused on {}: {}; sending one datagram per packet",
                  config.device(), e.getMessage());
            }
            sent += sendOneByOne(i);
            calls += segCount[i];
            i++;
            continue;
          }
          // The message at i was refused (ENETUNREACH, EPERM from a firewall, ENOBUFS...):
          // drop it alone and go on with the rest of the batch.
          for (int k = 0; k < segCount[i]; k++) {
            counters.drop(DropReason.SEND_FAILED);
          }
          total -= tx.length(i);
          i++;
          continue;
        }
        if (r == 0) {
          if (!await(sock.fd(), Wakeup.POLLOUT, -1)) {
            return;
          }
          continue;
        }
        for (int k = i; k < i + r; k++) {
          sent += segCount[k];
        }
        i += r;
        calls++;
      }
      counters.txPackets.add(sent);
      counters.txBytes.add(total);
      counters.txCalls.add(calls);
    }

    /**
     * Sends the packets of GSO message {@code i} as separate datagrams, re-pointing slot
     * {@code i} at each in turn (it is not sent again); returns how many went.
     */
    private int sendOneByOne(int i) {
      int base = tx.offset(i);
      int len = tx.length(i);
      int seg = tx.segmentSize(i);
      tx.setSegmentSize(i, 0);
      int ok = 0;
      for (int o = 0; o < len; o += seg) {
        int r;
        try {
          r = sock.send(tx.setPayload(i, base + o, Math.min(seg, len - o)), i, 1);
        } catch (NetlinkException e) {
          r = 0;
        }
        if (r == 1) {
          ok++;
        } else {
          counters.drop(DropReason.SEND_FAILED);
        }
      }
      return ok;
    }

    private void unreachable(ByteBuffer b, int off, int len) {
      int k = Ip4Packets.netUnreachable(b, off, len, config.tunAddr(), icmpBody);
      if (k <= 0) {
        return;
      }
      try {
        if (tun.write(icmp.limit(hdr + k).position(0)) == hdr + k) {
          counters.icmpSent.increment();
        }
      } catch (NetlinkException e) {
        // dropped, as any ICMP error may be
      }
    }
  }

  private static int align(int v) {
    return (v + 63) & ~63;
  }

  /** UDP → TUN without a vnet header: receive a batch, vet each datagram, write the good ones into the TUN queue. */
  private final class UdpToTun extends Loop {
    private final TunDevice tun;
    private final UdpSocket sock;
    private final int batch = config.batch();
    /** {@code batch} slots of {@link #SLOT} bytes each (the allocation's even split). */
    private final UdpBatch rx = UdpBatch.allocate(batch, batch * SLOT);
    private final ByteBuffer pkts = rx.payload();
    /** Hands the TUN write its packet (position and limit); {@code pkts} keeps its full limit. */
    private final ByteBuffer writeView = pkts.duplicate();

    UdpToTun(TunDevice tun, UdpSocket sock) {
      this.tun = tun;
      this.sock = sock;
    }

    @Override
    void loop() {
      while (running.get()) {
        int r = receiveOrWait(sock, rx);
        if (r < 0) {
          return;
        }
        if (r == 0) {
          continue;
        }
        PeerTable table = peers;
        long written = 0;
        long bytes = 0;
        for (int i = 0; i < r; i++) {
          int len = rx.receivedLength(i);
          int off = i * SLOT;
          DropReason reason = vet(table, pkts, rx.peerAddressAsInt(i), off, len, rx.truncated(i));
          if (reason != null) {
            counters.drop(reason);
            continue;
          }
          int w;
          try {
            w = tun.write(writeView.limit(off + len).position(off));
          } catch (NetlinkException e) {
            w = -1;
          }
          if (w != len) {
            counters.drop(DropReason.TUN_WRITE_FAILED);
            continue;
          }
          written++;
          bytes += len;
        }
        counters.rxCalls.increment();
        counters.rxWrites.add(written);
        counters.rxPackets.add(written);
        counters.rxBytes.add(bytes);
      }
    }
  }

  /** Checks a received datagram's packet and decrements its TTL; null if it may be written to the TUN device. */
  private DropReason vet(PeerTable table, ByteBuffer pkts, int from, int off, int len, boolean truncated) {
    if (!table.isPeer(from)) {
      return DropReason.UNKNOWN_PEER;
    }
    if (truncated) {
      return DropReason.BAD_TOTAL_LENGTH;
    }
    DropReason malformed = Ip4Packets.checkDatagram(pkts, off, len);
    if (malformed != null) {
      return malformed;
    }
    if (!table.accepts(from, Ip4Packets.source(pkts, off))) {
      return DropReason.SPOOFED_SOURCE;
    }
    if ((Ip4Packets.destination(pkts, off) & config.ownMask()) != config.ownNetwork()) {
      return DropReason.WRONG_DESTINATION;
    }
    if (!Ip4Packets.decrementTtl(pkts, off)) {
      return DropReason.TTL_EXPIRED;
    }
    return null;
  }

  /**
   * UDP → TUN with a vnet header: receive a batch (with {@code UDP_GRO}, each message may hold
   * many same-size datagrams back to back, their size in a cmsg), vet every packet, and write
   * runs of consecutive same-flow TCP segments as one super-packet ({@link Gro}) with one
   * {@code writev}; any other packet is written alone behind a zero vnet header.
   */
  private final class UdpToVnetTun extends Loop {
    /** Receive slot: the largest GRO train (64 KiB) and some slack. */
    private static final int RSLOT = SLOT + 64;
    private final TunDevice tun;
    private final UdpSocket sock;
    private final int batch = config.batch();
    /** {@code batch} slots of {@link #RSLOT} bytes each (the allocation's even split). */
    private final UdpBatch rx = UdpBatch.allocate(batch, batch * RSLOT);
    private final ByteBuffer pkts = rx.payload();
    /** The vnet header of a coalesced run, and a zero one for single packets. */
    private final ByteBuffer vnetHdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
    private final ByteBuffer zeroHdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
    /**
     * The gather write: the header, then up to {@link Gro#MAX_SEGMENTS} pieces, each a view of
     * {@link #pkts} made once and pointed at its piece per write.
     */
    private final ByteBuffer[] wiov = new ByteBuffer[Gro.MAX_SEGMENTS + 1];
    private final Gro gro = new Gro();
    private long written;
    private long bytes;
    private long writes;

    UdpToVnetTun(TunDevice tun, UdpSocket sock) {
      this.tun = tun;
      this.sock = sock;
      for (int k = 1; k < wiov.length; k++) {
        wiov[k] = pkts.duplicate();
      }
    }

    @Override
    void loop() {
      while (running.get()) {
        int r = receiveOrWait(sock, rx);
        if (r < 0) {
          return;
        }
        if (r == 0) {
          continue;
        }
        PeerTable table = peers;
        written = 0;
        bytes = 0;
        writes = 0;
        gro.reset();
        for (int i = 0; i < r; i++) {
          int len = rx.receivedLength(i);
          int from = rx.peerAddressAsInt(i);
          boolean truncated = rx.truncated(i);
          int seg = rx.segmentSize(i);               // UDP GRO: a train of seg-sized datagrams
          if (seg <= 0 || seg > len) {
            seg = len;
          }
          int base = i * RSLOT;
          for (int o = 0; o < len; o += seg) {
            int l = Math.min(seg, len - o);
            DropReason reason = vet(table, pkts, from, base + o, l, truncated);
            if (reason != null) {
              counters.drop(reason);
              continue;
            }
            if (!gro.tryAppend(pkts, base + o, l)) {
              flush();
              gro.start(pkts, base + o, l);
            }
          }
        }
        flush();
        counters.rxCalls.increment();
        counters.rxWrites.add(writes);
        counters.rxPackets.add(written);
        counters.rxBytes.add(bytes);
      }
    }

    /** Writes the current run (one packet, or a coalesced super-packet) with one writev. */
    private void flush() {
      int c = gro.count();
      if (c == 0) {
        return;
      }
      int origBytes = gro.totalLength();
      long expect = TunDevice.VNET_HDR_SIZE;
      if (c == 1) {
        wiov[0] = zeroHdr.clear();
      } else {
        origBytes += (c - 1) * (gro.pieceLength(0) - gro.gsoSize());
        gro.finish(vnetHdr);
        wiov[0] = vnetHdr.clear();
      }
      for (int k = 0; k < c; k++) {
        int off = gro.pieceOffset(k);
        wiov[k + 1].limit(off + gro.pieceLength(k)).position(off);
        expect += gro.pieceLength(k);
      }
      gro.reset();
      long w;
      try {
        w = tun.write(wiov, 0, 1 + c);
      } catch (NetlinkException e) {
        w = -1;
      }
      writes++;
      if (w != expect) {
        for (int k = 0; k < c; k++) {
          counters.drop(DropReason.TUN_WRITE_FAILED);
        }
        return;
      }
      written += c;
      bytes += origBytes;
    }
  }
}
