package io.overlaynet.udp.internal;

import io.overlaynet.netlink.NativeIo;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.netlink.Wakeup;
import io.overlaynet.udp.DropReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * <p>Packets are processed in place in direct buffers allocated once; there is no
 * allocation per packet. Threads wait in {@code poll} together with an eventfd that
 * {@link #close()} signals, because a thread in a native call cannot be interrupted.
 *
 * <p>The fds are borrowed: {@link #close()} stops and joins the threads, then the owner closes
 * the TUN queues and sockets, so no thread ever touches a closed (or recycled) fd number.
 * Internal usage only.
 */
public final class DataPath implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DataPath.class);

  /** Slot size per packet: the largest IPv4 packet, so nothing is ever truncated. */
  static final int SLOT = 65536;
  private static final int MMSG = 64; // sizeof(struct mmsghdr) on LP64
  private static final int IOV = 16;
  private static final int SOCKADDR = 16;
  /** {@code CMSG_SPACE} of a u16 or an int: a 16-byte cmsghdr and the value, 8-aligned. */
  private static final int CMSG = 24;
  /** Room one TCP super-packet needs once segmented: 64 KiB plus a copy of the headers per segment. */
  private static final int SUPER = SLOT + 64 * 128;
  /** The most segments the kernel takes in one {@code UDP_SEGMENT} send (UDP_MAX_SEGMENTS, 64 before Linux 6.x). */
  private static final int UDP_MAX_SEGMENTS = 64;
  /** The largest UDP payload over IPv4 (65535 - 20 - 8). */
  private static final int UDP_MAX_PAYLOAD = 65507;

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

    /** Logs an unexpected errno at most once a second, then pauses briefly so errors cannot spin. */
    boolean failed(String op, int errno) {
      long now = System.nanoTime();
      if (now - lastErrorLog > TimeUnit.SECONDS.toNanos(1)) {
        lastErrorLog = now;
        log.warn("{} on {}: {}", op, config.device(), Errors.describe(errno));
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
     * Receives one batch with {@code recvmmsg}; on an empty socket waits for it to become
     * readable. Returns the message count, 0 to try again, or -1 once the data path stops.
     */
    int receiveOrWait(UdpSocket sock, long ctlAddr, int batch) {
      int r = sock.receiveBatch(ctlAddr, batch);
      if (r > 0) {
        return r;
      }
      int errno = -r;
      if (r == 0 || errno == NativeIo.EAGAIN) {
        return await(sock.fd(), Wakeup.POLLIN, -1) ? 0 : -1;
      }
      return errno == NativeIo.EINTR || failed("UDP receive", errno) ? 0 : -1;
    }
  }

  /**
   * Lays out {@code batch} receive headers in {@code ctl}: mmsghdr[i] points at sockaddr[i] and
   * iovec[i] (one packet slot of {@code slot} bytes), and at cmsg[i] when {@code cmsgLen > 0}.
   */
  private static void layoutReceive(ByteBuffer ctl, long ctlAddr, int batch, long pktsAddr, int slot,
      int cmsgBase, int cmsgLen) {
    int iovBase = batch * MMSG;
    int saBase = batch * (MMSG + IOV);
    for (int i = 0; i < batch; i++) {
      int m = i * MMSG;
      ctl.putLong(m, ctlAddr + saBase + (long) i * SOCKADDR);
      ctl.putInt(m + 8, SOCKADDR);
      ctl.putLong(m + 16, ctlAddr + iovBase + (long) i * IOV);
      ctl.putLong(m + 24, 1);
      ctl.putLong(m + 32, cmsgLen > 0 ? ctlAddr + cmsgBase + (long) i * cmsgLen : 0);
      ctl.putLong(m + 40, cmsgLen);
      ctl.putLong(iovBase + i * IOV, pktsAddr + (long) i * slot);
      ctl.putLong(iovBase + i * IOV + 8, slot);
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
    private final ByteBuffer pkts;
    private final long pktsAddr;
    /** mmsghdr[slots], then iovec[slots], then sockaddr_in[slots], then cmsg[slots]; native order. */
    private final ByteBuffer ctl;
    private final long ctlAddr;
    private final int iovBase;
    private final int saBase;
    private final int cmsgBase;
    /** Segments per message (1 without UDP GSO). */
    private final int[] segCount;
    /** vnet mode: where each read lands (vnet header + up to 64 KiB). */
    private final ByteBuffer in;
    private final long inAddr;
    /** ICMP replies: {@code hdr} zero bytes (the vnet header of a plain packet), then the packet. */
    private final int hdr = vnet ? TunDevice.VNET_HDR_SIZE : 0;
    private final ByteBuffer icmp = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE + Ip4Packets.MAX_ICMP);
    private final ByteBuffer icmpBody;
    private final long icmpAddr = NativeIo.address(icmp);
    private boolean gso = config.udpGso();
    private int n;
    /** vnet mode: where the next datagram goes in {@code pkts}. */
    private int cursor;
    private long bytes;

    TunToUdp(TunDevice tun, UdpSocket sock) {
      this.tun = tun;
      this.sock = sock;
      capacity = vnet ? batch * align(config.mtu() + 64) + 2 * SUPER : slots * slot;
      pkts = ByteBuffer.allocateDirect(capacity);
      pktsAddr = NativeIo.address(pkts);
      ctl = ByteBuffer.allocateDirect(slots * (MMSG + IOV + SOCKADDR + CMSG)).order(ByteOrder.nativeOrder());
      ctlAddr = NativeIo.address(ctl);
      iovBase = slots * MMSG;
      saBase = slots * (MMSG + IOV);
      cmsgBase = slots * (MMSG + IOV + SOCKADDR);
      segCount = new int[slots];
      in = vnet ? ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE + SLOT) : null;
      inAddr = vnet ? NativeIo.address(in) : 0;
      icmpBody = icmp.slice(hdr, Ip4Packets.MAX_ICMP);
      for (int i = 0; i < slots; i++) {
        int m = i * MMSG;
        ctl.putLong(m, ctlAddr + saBase + (long) i * SOCKADDR); // msg_name
        ctl.putInt(m + 8, SOCKADDR);                            // msg_namelen
        ctl.putLong(m + 16, ctlAddr + iovBase + (long) i * IOV); // msg_iov
        ctl.putLong(m + 24, 1);                                 // msg_iovlen
        ctl.putLong(iovBase + i * IOV, vnet ? pktsAddr : pktsAddr + (long) i * slot); // vnet: set by queue()
        UdpSocket.writeSockaddr(ctl, saBase + i * SOCKADDR, 0, config.port());
        int c = cmsgBase + i * CMSG;                            // cmsghdr{len, level, type} + u16
        ctl.putLong(c, 16 + 2);
        ctl.putInt(c + 8, UdpSocket.SOL_UDP);
        ctl.putInt(c + 12, UdpSocket.UDP_SEGMENT);
      }
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
          long r = vnet ? tun.readNative(inAddr, TunDevice.VNET_HDR_SIZE + SLOT) : tun.readNative(pktsAddr + (long) n * slot, slot);
          if (r < 0) {
            int errno = (int) -r;
            if (errno == NativeIo.EINTR) {
              continue;
            }
            if (errno != NativeIo.EAGAIN && !failed("TUN read", errno)) {
              return;
            }
            drained = true;
            break;
          }
          if (vnet) {
            onVnetPacket(table, (int) r);
          } else {
            onPacket(table, pkts, n * slot, (int) r);
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
      int m = n * MMSG;
      ctl.putLong(iovBase + n * IOV, pktsAddr + off);
      ctl.putLong(iovBase + n * IOV + 8, len);
      if (segSize > 0) {
        int c = cmsgBase + n * CMSG;
        ctl.putShort(c + 16, (short) segSize);
        ctl.putLong(m + 32, ctlAddr + c);  // msg_control
        ctl.putLong(m + 40, CMSG);         // msg_controllen
      } else {
        ctl.putLong(m + 32, 0);
        ctl.putLong(m + 40, 0);
      }
      segCount[n] = segs;
      int sa = saBase + n * SOCKADDR;
      int ip = peer.publicIp().toInt();
      ctl.putInt(sa + 4, ctl.order() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(ip) : ip);
      bytes += len;
      n++;
    }

    private void send(int count, long total) {
      int i = 0;
      long sent = 0;
      long calls = 0;
      while (i < count) {
        int r = sock.sendBatch(ctlAddr + (long) i * MMSG, count - i);
        if (r > 0) {
          for (int k = i; k < i + r; k++) {
            sent += segCount[k];
          }
          i += r;
          calls++;
          continue;
        }
        int errno = -r;
        if (errno == NativeIo.EINTR) {
          continue;
        }
        if (errno == NativeIo.EAGAIN) {
          if (!await(sock.fd(), Wakeup.POLLOUT, -1)) {
            return;
          }
          continue;
        }
        if (errno == NativeIo.EIO && segCount[i] > 1 && ctl.getLong(i * MMSG + 40) != 0) {
          // UDP GSO refused (EIO: the route's device cannot checksum it): stop using it and
          // send this train's packets one by one.
          if (gso) {
            gso = false;
            log.warn("UDP GSO (UDP_SEGMENT) refused on {}: {}; sending one datagram per packet",
                config.device(), Errors.describe(errno));
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
        total -= ctl.getLong(iovBase + i * IOV + 8);
        i++;
      }
      counters.txPackets.add(sent);
      counters.txBytes.add(total);
      counters.txCalls.add(calls);
    }

    /** Sends the packets of GSO message {@code i} as separate datagrams; returns how many went. */
    private int sendOneByOne(int i) {
      long base = ctl.getLong(iovBase + i * IOV);
      long len = ctl.getLong(iovBase + i * IOV + 8);
      int seg = ctl.getShort(cmsgBase + i * CMSG + 16) & 0xffff;
      long sa = ctlAddr + saBase + (long) i * SOCKADDR;
      int ok = 0;
      for (long o = 0; o < len; o += seg) {
        long l = Math.min(seg, len - o);
        long r;
        do {
          r = sock.sendTo(base + o, (int) l, sa);
        } while (r == -NativeIo.EINTR);
        if (r == l) {
          ok++;
        } else {
          counters.drop(DropReason.SEND_FAILED);
        }
      }
      return ok;
    }

    private void unreachable(ByteBuffer b, int off, int len) {
      int k = Ip4Packets.netUnreachable(b, off, len, config.tunAddr(), icmpBody);
      if (k > 0 && tun.writeNative(icmpAddr, hdr + k) == hdr + k) {
        counters.icmpSent.increment();
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
    private final ByteBuffer pkts = ByteBuffer.allocateDirect(batch * SLOT);
    private final long pktsAddr = NativeIo.address(pkts);
    private final ByteBuffer ctl = ByteBuffer.allocateDirect(batch * (MMSG + IOV + SOCKADDR)).order(ByteOrder.nativeOrder());
    private final long ctlAddr = NativeIo.address(ctl);
    private final int saBase = batch * (MMSG + IOV);
    UdpToTun(TunDevice tun, UdpSocket sock) {
      this.tun = tun;
      this.sock = sock;
      layoutReceive(ctl, ctlAddr, batch, pktsAddr, SLOT, 0, 0);
    }

    @Override
    void loop() {
      while (running.get()) {
        int r = receiveOrWait(sock, ctlAddr, batch);
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
          int m = i * MMSG;
          int len = ctl.getInt(m + 56);             // msg_len
          int flags = ctl.getInt(m + 48);           // msg_hdr.msg_flags
          int from = UdpSocket.readSockaddrAddr(ctl, saBase + i * SOCKADDR);
          ctl.putInt(m + 8, SOCKADDR);              // the kernel rewrote msg_namelen
          DropReason reason = vet(table, pkts, from, i * SLOT, len, flags);
          if (reason != null) {
            counters.drop(reason);
            continue;
          }
          long w = tun.writeNative(pktsAddr + (long) i * SLOT, len);
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
  private DropReason vet(PeerTable table, ByteBuffer pkts, int from, int off, int len, int flags) {
    if (!table.isPeer(from)) {
      return DropReason.UNKNOWN_PEER;
    }
    if ((flags & UdpSocket.MSG_TRUNC) != 0) {
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
    private final boolean groOn = config.udpGro();
    private final ByteBuffer pkts = ByteBuffer.allocateDirect(batch * RSLOT);
    private final long pktsAddr = NativeIo.address(pkts);
    /** mmsghdr[batch], iovec[batch], sockaddr_in[batch], cmsg[batch]. */
    private final ByteBuffer ctl =
        ByteBuffer.allocateDirect(batch * (MMSG + IOV + SOCKADDR + CMSG)).order(ByteOrder.nativeOrder());
    private final long ctlAddr = NativeIo.address(ctl);
    private final int saBase = batch * (MMSG + IOV);
    private final int cmsgBase = batch * (MMSG + IOV + SOCKADDR);
    /** The vnet header of a coalesced run, and a zero one for single packets. */
    private final ByteBuffer vnetHdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
    private final ByteBuffer zeroHdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
    /** The writev iovec: header + up to {@link Gro#MAX_SEGMENTS} pieces. */
    private final ByteBuffer wiov = ByteBuffer.allocateDirect((Gro.MAX_SEGMENTS + 1) * IOV).order(ByteOrder.nativeOrder());
    private final long wiovAddr = NativeIo.address(wiov);
    private final Gro gro = new Gro();
    private long written;
    private long bytes;
    private long writes;

    UdpToVnetTun(TunDevice tun, UdpSocket sock) {
      this.tun = tun;
      this.sock = sock;
      layoutReceive(ctl, ctlAddr, batch, pktsAddr, RSLOT, cmsgBase, groOn ? CMSG : 0);
    }

    @Override
    void loop() {
      while (running.get()) {
        int r = receiveOrWait(sock, ctlAddr, batch);
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
          int m = i * MMSG;
          int len = ctl.getInt(m + 56);             // msg_len
          int flags = ctl.getInt(m + 48);           // msg_hdr.msg_flags
          int from = UdpSocket.readSockaddrAddr(ctl, saBase + i * SOCKADDR);
          int seg = len;
          if (groOn) {
            int c = cmsgBase + i * CMSG;
            if (ctl.getLong(m + 40) >= 20 && ctl.getInt(c + 8) == UdpSocket.SOL_UDP
                && ctl.getInt(c + 12) == UdpSocket.UDP_GRO) {
              seg = ctl.getInt(c + 16);
            }
            ctl.putLong(m + 40, CMSG);              // the kernel rewrote msg_controllen
          }
          ctl.putInt(m + 8, SOCKADDR);              // ... and msg_namelen
          if (seg <= 0 || seg > len) {
            seg = len;
          }
          int base = i * RSLOT;
          for (int o = 0; o < len; o += seg) {
            int l = Math.min(seg, len - o);
            DropReason reason = vet(table, pkts, from, base + o, l, flags);
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
      int iovs = 1 + c;
      long expect = TunDevice.VNET_HDR_SIZE;
      if (c == 1) {
        wiov.putLong(0, NativeIo.address(zeroHdr));
      } else {
        origBytes += (c - 1) * (gro.pieceLength(0) - gro.gsoSize());
        gro.finish(vnetHdr);
        wiov.putLong(0, NativeIo.address(vnetHdr));
      }
      wiov.putLong(8, TunDevice.VNET_HDR_SIZE);
      for (int k = 0; k < c; k++) {
        wiov.putLong((k + 1) * IOV, pktsAddr + gro.pieceOffset(k));
        wiov.putLong((k + 1) * IOV + 8, gro.pieceLength(k));
        expect += gro.pieceLength(k);
      }
      gro.reset();
      long w = tun.writevNative(wiovAddr, iovs);
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
