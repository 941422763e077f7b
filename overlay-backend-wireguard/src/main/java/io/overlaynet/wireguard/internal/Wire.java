package io.overlaynet.wireguard.internal;

import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.UdpBatch;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.netlink.Wakeup;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * The UDP side of a {@link WgDevice}: where its messages go out and come in. Two kinds:
 * {@link #of(DatagramChannel)}, any address family, one system call per datagram; and
 * {@link #of(UdpSocket)}, IPv4, batched: {@code recvmmsg} with {@code UDP_GRO} (one receive
 * returns a train of same-size datagrams) and {@code sendmmsg} with {@code UDP_SEGMENT} (a train
 * of same-size messages to one endpoint leaves as one send, cut by the kernel). Each WireGuard
 * message is still its own datagram on the wire either way.
 *
 * <p>Threads: {@link #receive} from one thread; {@link #queue} and {@link #flush} from one
 * (other) thread; {@link #sendNow} from any. {@link #close} wakes a waiting receiver; the
 * socket is closed only by {@link #release}, once the threads have ended.
 */
abstract class Wire {

  /** Where a received datagram came from, made into an address only when needed (roaming). */
  interface Source {
    /** Returns whether it is {@code endpoint}. */
    boolean is(InetSocketAddress endpoint);

    /** Returns it as an address (allocates). */
    InetSocketAddress address();
  }

  /** Receives the datagrams of one {@link #receive}, each in {@code buf[0, len)} (which it may change). */
  interface Sink {
    void datagram(byte[] buf, int len, Source from) throws IOException;
  }

  /**
   * Waits (at most about a second) for datagrams and hands each to {@code sink}.
   *
   * @return false once the wire is closed
   */
  abstract boolean receive(Sink sink) throws IOException;

  /** Queues {@code msg[off, off + len)} for {@code to}; it may go now or at {@link #flush} (copied either way). */
  abstract void queue(byte[] msg, int off, int len, InetSocketAddress to) throws IOException;

  /** Sends what {@link #queue} gathered. */
  abstract void flush() throws IOException;

  /** Sends {@code msg[off, off + len)} to {@code to} at once (handshakes, keepalives, cookie replies). */
  abstract void sendNow(byte[] msg, int off, int len, InetSocketAddress to) throws IOException;

  /** Stops a waiting {@link #receive}; later calls return false. Idempotent. */
  abstract void close();

  /** Closes the socket: after {@link #close} and once no thread uses the wire. */
  abstract void release();

  /** A wire over {@code channel} (bound, blocking), which it owns. */
  static Wire of(DatagramChannel channel) {
    return new ChannelWire(channel);
  }

  /** A batched wire over {@code socket} (bound, non-blocking IPv4), which it owns. */
  static Wire of(UdpSocket socket) throws NetlinkException {
    return new BatchWire(socket);
  }

  // ------------------------------------------------------------------ java.nio

  private static final class ChannelWire extends Wire {
    private final DatagramChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(65536);

    ChannelWire(DatagramChannel channel) {
      this.channel = channel;
    }

    @Override
    boolean receive(Sink sink) throws IOException {
      in.clear();
      SocketAddress from;
      try {
        from = channel.receive(in);
      } catch (ClosedChannelException e) {
        return false;
      }
      if (from != null) {
        InetSocketAddress address = (InetSocketAddress) from;
        sink.datagram(in.array(), in.position(), new Source() {
          @Override
          public boolean is(InetSocketAddress endpoint) {
            return address.equals(endpoint);
          }

          @Override
          public InetSocketAddress address() {
            return address;
          }
        });
      }
      return channel.isOpen();
    }

    @Override
    void queue(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
      sendNow(msg, off, len, to);
    }

    @Override
    void flush() {}

    @Override
    void sendNow(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
      channel.send(ByteBuffer.wrap(msg, off, len), to);
    }

    @Override
    void close() {
      try {
        channel.close(); // wakes a receive in progress
      } catch (IOException e) {
        // nothing more to do
      }
    }

    @Override
    void release() {
      close();
    }
  }

  // ------------------------------------------------------------------ batched

  /** The largest UDP payload over IPv4. */
  private static final int UDP_MAX_PAYLOAD = 65507;
  /** The most datagrams one {@code UDP_SEGMENT} send may hold. */
  private static final int UDP_MAX_SEGMENTS = 64;
  /** errno {@code EIO}: {@code UDP_SEGMENT} refused by the route's device. */
  private static final int EIO = 5;

  private static final class BatchWire extends Wire {
    private static final int RX_SLOTS = 16;
    private static final int RX_SLOT = 65536 + 64;
    private static final int TX_SLOTS = 64;
    private static final int TX_BYTES = 4 * 65536;

    private final UdpSocket socket;
    private final Wakeup wake;
    private final Wakeup.Waiter rxWaiter;
    private final Wakeup.Waiter txWaiter;
    private volatile boolean closed;

    private final UdpBatch rx = UdpBatch.allocate(RX_SLOTS, RX_SLOTS * RX_SLOT);
    private final byte[] work = new byte[65536];
    private final BatchSource source = new BatchSource();

    private final UdpBatch tx = UdpBatch.allocate(TX_SLOTS, TX_BYTES);
    private boolean gso;
    private int slots;
    private int cursor;
    /** The open train: its slot, its message size, how many, and where it goes. */
    private int trainSlot = -1;
    private int trainSize;
    private int trainCount;
    private boolean trainClosed;
    private InetSocketAddress trainTo;
    private final int[] segments = new int[TX_SLOTS];
    private final Resolved txTo = new Resolved();

    private final Object nowLock = new Object();
    private final UdpBatch now = UdpBatch.allocate(1, 65536);
    private final Resolved nowTo = new Resolved();

    BatchWire(UdpSocket socket) throws NetlinkException {
      this.socket = socket;
      this.wake = Wakeup.create();
      this.rxWaiter = wake.newWaiter();
      this.txWaiter = wake.newWaiter();
      this.gso = socket.supportsGso();
    }

    @Override
    boolean receive(Sink sink) throws IOException {
      if (closed) {
        return false;
      }
      int r = socket.receive(rx);
      if (r == 0) {
        return rxWaiter.await(socket.fd(), Wakeup.POLLIN, 1000) && !closed;
      }
      ByteBuffer p = rx.payload();
      for (int i = 0; i < r; i++) {
        int len = rx.receivedLength(i);
        if (rx.truncated(i)) {
          continue; // larger than any WireGuard message we take
        }
        int seg = rx.segmentSize(i);
        if (seg <= 0 || seg > len) {
          seg = len;
        }
        source.set(rx.peerAddressAsInt(i), rx.peerPort(i));
        int base = rx.offset(i);
        for (int o = 0; o < len; o += seg) {
          int l = Math.min(seg, len - o);
          p.get(base + o, work, 0, l);
          sink.datagram(work, l, source);
        }
      }
      return !closed;
    }

    @Override
    void queue(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
      if (len > UDP_MAX_PAYLOAD) {
        return;
      }
      boolean joins = gso && trainSlot >= 0 && !trainClosed && to.equals(trainTo) && len <= trainSize
          && trainCount < UDP_MAX_SEGMENTS && (trainCount + 1) * trainSize <= UDP_MAX_PAYLOAD
          && cursor + len <= TX_BYTES;
      if (!joins && (slots == TX_SLOTS || cursor + len > TX_BYTES)) {
        flush();
      }
      tx.payload().put(cursor, msg, off, len);
      if (joins) {
        trainCount++;
        trainClosed = len < trainSize; // a shorter message ends a train
        tx.setPayload(trainSlot, tx.offset(trainSlot), tx.length(trainSlot) + len)
            .setSegmentSize(trainSlot, trainSize);
        segments[trainSlot] = trainCount;
      } else {
        txTo.set(to);
        tx.setPayload(slots, cursor, len).setPeer(slots, txTo.ip, to.getPort()).setSegmentSize(slots, 0);
        segments[slots] = 1;
        trainSlot = slots;
        trainSize = len;
        trainCount = 1;
        trainClosed = false;
        trainTo = to;
        slots++;
      }
      cursor += len;
    }

    @Override
    void flush() throws IOException {
      int i = 0;
      while (i < slots && !closed) {
        if (segments[i] == 1) {
          tx.setSegmentSize(i, 0);
        }
        int r;
        try {
          r = socket.send(tx, i, slots - i);
        } catch (NetlinkException e) {
          if (e.errno() == EIO && tx.segmentSize(i) > 0 && gso) {
            // UDP_SEGMENT refused by the route's device: send trains one by one from now on.
            gso = false;
            sendOneByOne(i);
          }
          i++; // this message is lost (a firewall, no route...): the rest still goes
          continue;
        }
        if (r == 0) {
          txWaiter.await(socket.fd(), Wakeup.POLLOUT, 1000);
          continue;
        }
        i += r;
      }
      slots = 0;
      cursor = 0;
      trainSlot = -1;
    }

    private void sendOneByOne(int i) {
      int base = tx.offset(i);
      int len = tx.length(i);
      int seg = tx.segmentSize(i);
      tx.setSegmentSize(i, 0);
      for (int o = 0; o < len; o += seg) {
        try {
          socket.send(tx.setPayload(i, base + o, Math.min(seg, len - o)), i, 1);
        } catch (NetlinkException e) {
          // lost, as a datagram may be
        }
      }
    }

    @Override
    void sendNow(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
      synchronized (nowLock) {
        nowTo.set(to);
        now.payload().put(0, msg, off, len);
        now.setPayload(0, 0, len).setPeer(0, nowTo.ip, to.getPort()).setSegmentSize(0, 0);
        for (int tries = 0; tries < 3 && !closed; tries++) {
          if (socket.send(now, 0, 1) == 1) {
            return;
          }
          txWaiter.await(socket.fd(), Wakeup.POLLOUT, 100);
        }
      }
    }

    @Override
    void close() {
      closed = true;
      wake.signal();
    }

    @Override
    void release() {
      close();
      socket.close();
      wake.close();
    }
  }

  /** An IPv4 endpoint's address as an {@link Ip4}, remembered for the last endpoint asked. */
  private static final class Resolved {
    private InetSocketAddress last;
    Ip4 ip;

    void set(InetSocketAddress to) {
      if (to != last) {
        if (!(to.getAddress() instanceof Inet4Address a)) {
          throw new IllegalArgumentException("an IPv4 wire cannot send to " + to);
        }
        ip = Ip4.fromBytes(a.getAddress());
        last = to;
      }
    }
  }

  /** The source of a batched receive: an address and port, an {@link InetSocketAddress} on demand. */
  private static final class BatchSource implements Source {
    private int ip;
    private int port;
    private InetSocketAddress cached;
    /** The endpoint last compared and its address as an int (getAddress() copies). */
    private InetSocketAddress compared;
    private int comparedIp;

    void set(int ip, int port) {
      if (cached != null && (ip != this.ip || port != this.port)) {
        cached = null;
      }
      this.ip = ip;
      this.port = port;
    }

    @Override
    public boolean is(InetSocketAddress endpoint) {
      if (endpoint == null || endpoint.getPort() != port || !(endpoint.getAddress() instanceof Inet4Address a)) {
        return false;
      }
      if (endpoint != compared) {
        byte[] b = a.getAddress();
        comparedIp = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
        compared = endpoint;
      }
      return comparedIp == ip;
    }

    @Override
    public InetSocketAddress address() {
      if (cached == null) {
        byte[] b = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        try {
          cached = new InetSocketAddress(InetAddress.getByAddress(b), port);
        } catch (UnknownHostException e) {
          throw new AssertionError("four bytes are an IPv4 address", e);
        }
      }
      return cached;
    }
  }
}
