package io.overlaynet.wireguard.internal;

import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.netlink.offload.Gso;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WireGuard interface in this process: a TUN device, a UDP socket and the peers, with a thread
 * that carries packets from the TUN device to the peers, one that carries messages from the
 * socket to the TUN device, and a timer for handshake retries, expiry and keepalives.
 *
 * <p>What it does, as the paper says: a packet for a peer without a usable session is queued
 * (up to {@link #QUEUE}) and starts a handshake, retried every REKEY_TIMEOUT (with jitter) for up
 * to REKEY_ATTEMPT_TIME; the initiator rekeys after REKEY_AFTER_TIME when sending, and after
 * REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT when still receiving; sessions are dropped after
 * REJECT_AFTER_TIME; a responder's session is used for sending only once the initiator has sent
 * with it; a peer's endpoint follows the source of its last authenticated message (roaming); an
 * incoming packet is delivered only if its source is one of its peer's allowed IPs; a peer that
 * received data and sent none for KEEPALIVE_TIMEOUT sends a keepalive, one that sent data and
 * heard nothing for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT starts a new handshake, and a persistent
 * keepalive is sent if configured (starting a handshake if there is no session); a peer's fresh
 * initiations are answered at most one per HANDSHAKE_INITIATION_RATE. Bad input of any kind is
 * dropped and counted ({@link Drop}), never thrown.
 *
 * <p>Under load (more than {@link #LOAD_THRESHOLD} handshake messages in a second, as wireguard-go
 * reckons it from its queue), a handshake message without a valid MAC2 gets a cookie reply instead
 * of the DH work; our own handshake messages carry MAC2 once a peer sent us a cookie.
 *
 * <p>The packet threads work in batches (docs/wireguard.md §11a): the TUN thread reads until the
 * device is empty, cutting TCP super-packets (vnet header) into packets, seals them together in
 * an {@code Outbox} and hands them to the {@link Wire} at once; the socket thread opens a
 * receive's transport messages together in an {@code Inbox} and hands their packets to a
 * {@link TunWriter}, which joins TCP segments. Peer locks cover the choice of session and what a
 * message changes, never the crypto.
 */
public final class WgDevice implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WgDevice.class);
  /** Packets kept per peer while its handshake runs (the oldest goes first). */
  static final int QUEUE = 64;

  /** Why a packet or message was dropped. */
  public enum Drop {
    /** A datagram that is no WireGuard message (length, type). */
    MALFORMED,
    /** A handshake message whose MAC1 is not for our key. */
    BAD_MAC1,
    /** A handshake message that does not authenticate, or from a key that is no peer's. */
    BAD_HANDSHAKE,
    /** A replayed handshake initiation (its timestamp is not newer than the last). */
    REPLAYED_HANDSHAKE,
    /** A transport message for no session we have. */
    UNKNOWN_INDEX,
    /** A transport message that does not authenticate. */
    BAD_TRANSPORT,
    /** An authentic transport message whose counter was seen already or is behind the replay window. */
    REPLAYED_TRANSPORT,
    /** A decrypted packet whose source is not among its peer's allowed IPs. */
    NOT_ALLOWED,
    /** A packet from the TUN device for no peer's allowed IPs. */
    NO_PEER,
    /** A packet for a peer whose endpoint is not known. */
    NO_ENDPOINT,
    /** A packet that did not fit in the queue of a peer whose handshake runs. */
    QUEUE_FULL,
    /** A handshake message answered with a cookie reply (we are under load), or a cookie reply we cannot use. */
    COOKIE,
    /** A super-packet from the TUN device (vnet header) that cannot be cut into packets. */
    TUN_MALFORMED,
    /** An initiation from a peer less than HANDSHAKE_INITIATION_RATE (20 ms) after the last one we answered. */
    HANDSHAKE_FLOOD
  }

  /** A peer as configured: its key, optional preshared key and endpoint, its allowed IPs. */
  public record PeerConfig(PublicKey publicKey, Optional<PresharedKey> presharedKey, Optional<InetSocketAddress> endpoint,
      List<IpNet> allowedIps, Duration persistentKeepalive) {
    /** Checks and copies the components. */
    public PeerConfig {
      Objects.requireNonNull(publicKey, "publicKey");
      Objects.requireNonNull(presharedKey, "presharedKey");
      Objects.requireNonNull(endpoint, "endpoint");
      allowedIps = List.copyOf(allowedIps);
      Objects.requireNonNull(persistentKeepalive, "persistentKeepalive");
    }
  }

  /** Handshake messages per second above which we ask for cookies (wireguard-go: its queue's 1/8). */
  static final int LOAD_THRESHOLD = 128;

  private final TunDevice tun;
  private final CookieChecker cookies;
  private final BooleanSupplier forcedLoad;
  private long loadSecond;
  private int loadCount;
  private long loadUntil;
  private final Wire wire;
  private final int mtu;
  private final Noise noise;
  private final SecureRandom random;
  private final Map<PublicKey, Peer> peers = new ConcurrentHashMap<>();
  /** Local session and handshake indices to their peer. */
  private final Map<Integer, Peer> indices = new ConcurrentHashMap<>();
  private volatile AllowedIps<Peer> routes = AllowedIps.empty();
  private final Map<Drop, LongAdder> drops = new EnumMap<>(Drop.class);
  private final LongAdder handshakes = new LongAdder();
  /** Inner packets and their bytes sealed for a peer, and delivered to the TUN device. */
  private final LongAdder txPackets = new LongAdder();
  private final LongAdder txBytes = new LongAdder();
  private final LongAdder rxPackets = new LongAdder();
  private final LongAdder rxBytes = new LongAdder();
  private final Protocol.Timers timers;
  private final ScheduledExecutorService timer;
  private final Thread tunLoop;
  private final Thread udpLoop;
  private volatile boolean closed;

  private WgDevice(PrivateKey key, TunDevice tun, Wire wire, int mtu, SecureRandom random,
      BooleanSupplier forcedLoad, Protocol.Timers timers) {
    this.tun = tun;
    this.timers = timers;
    this.cookies = new CookieChecker(key.publicKey(), random, System::nanoTime);
    this.forcedLoad = forcedLoad;
    this.wire = wire;
    this.mtu = mtu;
    this.random = random;
    this.noise = new Noise(key, random);
    for (Drop d : Drop.values()) {
      drops.put(d, new LongAdder());
    }
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "overlaynet-wg-timer-" + tun.name()));
    this.tunLoop = daemon(this::tunLoop, "overlaynet-wg-tun-" + tun.name());
    this.udpLoop = daemon(this::udpLoop, "overlaynet-wg-udp-" + tun.name());
  }

  /**
   * Starts carrying packets between {@code tun} and {@code udp} (a bound, blocking channel, of
   * either address family; one system call per datagram) for the key {@code key}. The TUN device
   * may have a vnet header ({@link io.overlaynet.netlink.TunOptions#withVnetHeader}): then TCP
   * super-packets are read and written whole and cut or joined here. The device owns both and
   * closes them.
   */
  public static WgDevice start(PrivateKey key, TunDevice tun, DatagramChannel udp, int mtu) {
    return start(key, tun, udp, mtu, () -> false);
  }

  /**
   * As {@link #start(PrivateKey, TunDevice, DatagramChannel, int)}, over the batched IPv4 socket
   * {@code udp} (bound; {@code UDP_GRO} is switched on here if the kernel has it): the fast path,
   * many datagrams per system call each way.
   *
   * @throws NetlinkException if the socket's wake-up cannot be made
   */
  public static WgDevice start(PrivateKey key, TunDevice tun, UdpSocket udp, int mtu) throws NetlinkException {
    return start(key, tun, udp, mtu, () -> false);
  }

  /** As {@link #start(PrivateKey, TunDevice, UdpSocket, int)}; {@code forcedLoad} makes tests see "under load". */
  static WgDevice start(PrivateKey key, TunDevice tun, UdpSocket udp, int mtu, BooleanSupplier forcedLoad)
      throws NetlinkException {
    return start(key, tun, udp, mtu, forcedLoad, Protocol.Timers.DEFAULT);
  }

  /** As {@link #start(PrivateKey, TunDevice, DatagramChannel, int)}; {@code forcedLoad} makes tests see "under load". */
  static WgDevice start(PrivateKey key, TunDevice tun, DatagramChannel udp, int mtu, BooleanSupplier forcedLoad) {
    return start(key, tun, Wire.of(udp), mtu, forcedLoad, Protocol.Timers.DEFAULT);
  }

  /** As {@link #start(PrivateKey, TunDevice, DatagramChannel, int, BooleanSupplier)}, running by {@code timers} (tests). */
  static WgDevice start(PrivateKey key, TunDevice tun, DatagramChannel udp, int mtu, BooleanSupplier forcedLoad,
      Protocol.Timers timers) {
    return start(key, tun, Wire.of(udp), mtu, forcedLoad, timers);
  }

  /** As {@link #start(PrivateKey, TunDevice, UdpSocket, int, BooleanSupplier)}, running by {@code timers} (tests). */
  static WgDevice start(PrivateKey key, TunDevice tun, UdpSocket udp, int mtu, BooleanSupplier forcedLoad,
      Protocol.Timers timers) throws NetlinkException {
    udp.setGro(true);
    return start(key, tun, Wire.of(udp), mtu, forcedLoad, timers);
  }

  private static WgDevice start(PrivateKey key, TunDevice tun, Wire wire, int mtu, BooleanSupplier forcedLoad,
      Protocol.Timers timers) {
    WgDevice d = new WgDevice(key, tun, wire, mtu, new SecureRandom(), forcedLoad, timers);
    d.tunLoop.start();
    d.udpLoop.start();
    d.timer.scheduleWithFixedDelay(d::tick, 100, 100, TimeUnit.MILLISECONDS);
    return d;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Replaces the peers: a peer whose key stays keeps its sessions; others are dropped. */
  public synchronized void setPeers(List<PeerConfig> configs) {
    Map<PublicKey, PeerConfig> wanted = new HashMap<>();
    configs.forEach(c -> wanted.put(c.publicKey(), c));
    for (Peer p : List.copyOf(peers.values())) {
      if (!wanted.containsKey(p.key)) {
        peers.remove(p.key);
        p.retire();
      }
    }
    Map<IpNet, Peer> table = new HashMap<>();
    for (PeerConfig c : wanted.values()) {
      Peer p = peers.computeIfAbsent(c.publicKey(), Peer::new);
      p.configure(c);
      c.allowedIps().forEach(net -> table.put(net, p));
    }
    routes = AllowedIps.of(table);
  }

  /** Returns how many packets or messages were dropped for {@code reason}. */
  public long drops(Drop reason) {
    return drops.get(reason).sum();
  }

  /** What the device holds for one peer now. */
  public record PeerState(PublicKey publicKey, Optional<InetSocketAddress> endpoint, List<IpNet> allowedIps,
      boolean session, long queued) {}

  /** Returns each configured peer's endpoint, allowed IPs and whether it has a usable session. */
  public List<PeerState> peerStates() {
    long now = System.nanoTime();
    List<PeerState> out = new java.util.ArrayList<>();
    for (Peer p : peers.values()) {
      synchronized (p) {
        Session s = p.current;
        out.add(new PeerState(p.key, Optional.ofNullable(p.endpoint), p.config.allowedIps(),
            s != null && s.canSend(now), p.queue.size()));
      }
    }
    return out;
  }

  /** Returns the drops by reason, every reason present. */
  public Map<Drop, Long> drops() {
    Map<Drop, Long> m = new EnumMap<>(Drop.class);
    drops.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** Returns the ids of its two packet threads (benchmarks read their CPU time). */
  long[] packetThreadIds() {
    return new long[] {tunLoop.getId(), udpLoop.getId()};
  }

  /** Inner packets and bytes carried: sealed for peers (tx) and delivered to the TUN device (rx). */
  public record Traffic(long txPackets, long txBytes, long rxPackets, long rxBytes) {}

  /** Returns the inner packets and bytes carried so far (keepalives not counted). */
  public Traffic traffic() {
    return new Traffic(txPackets.sum(), txBytes.sum(), rxPackets.sum(), rxBytes.sum());
  }

  /** Returns how many handshakes completed (as initiator or responder). */
  public long handshakes() {
    return handshakes.sum();
  }

  private void drop(Drop reason) {
    drops.get(reason).increment();
  }

  // ------------------------------------------------------------------ TUN -> peers

  /** Packets read from the TUN device before the messages gathered go out. */
  private static final int TUN_BATCH = 64;

  /**
   * Reads packets until the device has none left (or {@link #TUN_BATCH}), seals each for its
   * peer and hands it to the wire, then flushes the wire: with a batched wire, one system call
   * for them all. A TCP super-packet (vnet header) is cut into packets of its MSS first: each
   * WireGuard message carries one ordinary IP packet.
   */
  private void tunLoop() {
    boolean vnet = tun.options().vnetHeader();
    int hdr = vnet ? TunDevice.VNET_HDR_SIZE : 0;
    ByteBuffer in = ByteBuffer.allocateDirect(hdr + 65535);
    byte[] out = new byte[65535 + Messages.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE];
    Outbox box = new Outbox();
    while (!closed) {
      try {
        int n = tun.read(in.clear(), 1000);
        for (int batch = 1; n > 0; batch++) {
          fromTun(in, hdr, n, out, box);
          if (batch == TUN_BATCH) {
            break;
          }
          n = tun.read(in.clear(), 0);
        }
        box.flush();
        wire.flush();
        if (n < 0) {
          return; // closed
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.warn("{}: carrying a packet to its peer failed: {}", tun.name(), e.toString());
        }
      }
    }
  }

  /**
   * One read of {@code n} bytes (a vnet header of {@code hdr} bytes first): each packet goes into
   * the outbox's next slot (or, larger than a slot, into {@code out} and is sealed alone).
   */
  private void fromTun(ByteBuffer in, int hdr, int n, byte[] out, Outbox box) throws IOException {
    int len = n - hdr;
    if (len <= 0) {
      return;
    }
    Peer p = routes.lookup(in.limit(n).position(hdr), false);
    if (p == null) {
      drop(Drop.NO_PEER);
      return;
    }
    int gsoType = hdr == 0 ? Gso.GSO_NONE : in.get(1) & 0x7f; // without the ECN bit
    if (gsoType == Gso.GSO_NONE) {
      if (hdr > 0 && (in.get(0) & Gso.F_NEEDS_CSUM) != 0) {
        Gso.finishChecksum(in, hdr, len, Gso.u16le(in, 6), Gso.u16le(in, 8));
      }
      if (box.fits(len)) {
        int at = box.slot();
        in.get(hdr, box.buf, at + Messages.TRANSPORT_CONTENT, len);
        p.send(box.buf, at, len, box);
      } else {
        in.get(hdr, out, Messages.TRANSPORT_CONTENT, len);
        p.send(out, 0, len, null);
      }
      return;
    }
    int headers = Gso.tcpHeaders(in, hdr, len);
    int mss = Gso.u16le(in, 4);
    if (gsoType != Gso.GSO_TCPV4 || headers < 0 || mss <= 0 || headers + mss > 65535) {
      drop(Drop.TUN_MALFORMED);
      return;
    }
    int segments = Gso.segments(len - headers, mss);
    boolean fits = box.fits(headers + mss);
    ByteBuffer outView = fits ? box.view : ByteBuffer.wrap(out);
    for (int i = 0; i < segments; i++) {
      int at = fits ? box.slot() : 0;
      int segment = Gso.tcpSegment(in, hdr, len, headers, mss, i, outView, at + Messages.TRANSPORT_CONTENT);
      p.send(outView.array(), at, segment, fits ? box : null);
    }
  }

  /** Message slots per outbox or inbox: what is sealed or opened together. */
  private static final int BOX_SLOTS = 64;

  /**
   * The TUN thread's messages being prepared: each packet lands in a slot, its peer reserves a
   * counter for it, and {@link #flush} seals them all at once ({@link ChaChaBatch}) and hands
   * them to the wire.
   */
  private final class Outbox {
    final int slotBytes = align(mtu + Messages.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE);
    final byte[] buf = new byte[BOX_SLOTS * slotBytes];
    final ByteBuffer view = ByteBuffer.wrap(buf);
    final ChaChaBatch batch = new ChaChaBatch(BOX_SLOTS, BOX_SLOTS * ChaChaBatch.blocks(slotBytes));
    final InetSocketAddress[] to = new InetSocketAddress[BOX_SLOTS];
    final int[] at = new int[BOX_SLOTS];
    final int[] length = new int[BOX_SLOTS];
    final int[] key = new int[8];
    int count;
    long packets;
    long bytes;

    /** Whether a packet of {@code len} bytes fits in a slot. */
    boolean fits(int len) {
      return len + Messages.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE <= slotBytes;
    }

    /** The offset of the next free slot's message (its packet goes 16 bytes further); flushes first if none is free. */
    int slot() throws IOException {
      if (count == BOX_SLOTS) {
        flush();
      }
      return count * slotBytes;
    }

    /** Takes the packet of {@code len} bytes at {@code buf[off + 16]} (a slot) for {@code session} to {@code dest}. */
    void add(Session session, int off, int len, InetSocketAddress dest) {
      long counter = session.reserve(buf, off, len, key);
      if (counter < 0) {
        return; // retired between the choice and now: lost, as on any rekey race
      }
      int padded = len + Messages.padding(len, 0);
      batch.add(key, counter, buf, off + Messages.TRANSPORT_CONTENT, padded);
      packets++;
      bytes += len;
      to[count] = dest;
      at[count] = off;
      length[count] = Messages.TRANSPORT_CONTENT + padded + ChaChaPoly.TAG_LEN;
      count++;
    }

    void flush() throws IOException {
      if (count == 0) {
        return;
      }
      batch.seal();
      java.util.Arrays.fill(key, 0);
      for (int i = 0; i < count; i++) {
        wire.queue(buf, at[i], length[i], to[i]);
        to[i] = null;
      }
      count = 0;
      txPackets.add(packets);
      txBytes.add(bytes);
      packets = 0;
      bytes = 0;
    }
  }

  /**
   * The socket thread's transport messages of one receive: each is copied into a slot with its
   * session's key, {@link #flush} opens them all at once and then, in order, checks each against
   * the replay window and its peer and hands its packet to the TUN writer.
   */
  private final class Inbox {
    final int slotBytes = align(mtu + Messages.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE);
    final byte[] buf = new byte[BOX_SLOTS * slotBytes];
    final ChaChaBatch batch = new ChaChaBatch(BOX_SLOTS, BOX_SLOTS * ChaChaBatch.blocks(slotBytes));
    final Peer[] peer = new Peer[BOX_SLOTS];
    final Session[] session = new Session[BOX_SLOTS];
    final long[] counter = new long[BOX_SLOTS];
    final InetSocketAddress[] source = new InetSocketAddress[BOX_SLOTS];
    final int[] length = new int[BOX_SLOTS];
    final boolean[] opened = new boolean[BOX_SLOTS];
    final int[] key = new int[8];
    int count;

    boolean fits(int len) {
      return len <= slotBytes;
    }

    /** Takes the message {@code msg[0, len)} for {@code s} of {@code p}, from {@code from}; flushes first if full. */
    void add(Peer p, Session s, byte[] msg, int len, InetSocketAddress from, TunWriter toTun) throws IOException {
      if (count == BOX_SLOTS) {
        flush(toTun);
      }
      if (!s.receiveKey(key)) {
        drop(Drop.UNKNOWN_INDEX);
        return;
      }
      int off = count * slotBytes;
      System.arraycopy(msg, 0, buf, off, len);
      long c = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).getLong(off + Messages.TRANSPORT_COUNTER);
      batch.add(key, c, buf, off + Messages.TRANSPORT_CONTENT, len - Messages.TRANSPORT_CONTENT);
      peer[count] = p;
      session[count] = s;
      counter[count] = c;
      source[count] = from;
      length[count] = len;
      count++;
    }

    void flush(TunWriter toTun) throws IOException {
      if (count == 0) {
        return;
      }
      batch.open(opened);
      java.util.Arrays.fill(key, 0);
      for (int i = 0; i < count; i++) {
        int off = i * slotBytes;
        if (!opened[i]) {
          drop(Drop.BAD_TRANSPORT);
        } else if (!session[i].accept(counter[i])) {
          drop(Drop.REPLAYED_TRANSPORT);
        } else {
          int n = peer[i].opened(session[i], buf, off, length[i] - Messages.TRANSPORT_OVERHEAD, source[i]);
          if (n > 0) {
            toTun.packet(buf, off + Messages.TRANSPORT_CONTENT, n);
            rxPackets.increment();
            rxBytes.add(n);
          }
        }
        peer[i] = null;
        session[i] = null;
        source[i] = null;
      }
      count = 0;
    }
  }

  private static int align(int v) {
    return (v + 63) & ~63;
  }

  // ------------------------------------------------------------------ peers -> TUN

  private void udpLoop() {
    TunWriter writer = new TunWriter(tun);
    Inbox box = new Inbox();
    Wire.Sink sink = (msg, len, from) -> receive(msg, len, from, box, writer);
    while (!closed) {
      try {
        boolean open = wire.receive(sink);
        box.flush(writer);
        writer.flush();
        if (!open) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.warn("{}: receiving failed: {}", tun.name(), e.toString());
        }
      }
    }
  }

  private void receive(byte[] msg, int len, Wire.Source source, Inbox box, TunWriter toTun) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(msg, 0, len);
    if (Messages.check(b, 0, len) != null) {
      drop(Drop.MALFORMED);
      return;
    }
    switch (msg[0]) {
      case 1, 2 -> {
        InetSocketAddress from = source.address();
        if (admitted(msg, len, from)) {
          if (msg[0] == 1) {
            onInitiation(Arrays.copyOf(msg, len), from);
          } else {
            onResponse(Arrays.copyOf(msg, len), from);
          }
        }
      }
      case 3 -> onCookieReply(b, len);
      default -> onTransport(msg, len, source, box, toTun);
    }
  }

  /**
   * MAC1 always; under load also MAC2, else a cookie reply goes back and the message goes no
   * further (paper §5.3): the DH work is only done for a sender that proved its address.
   */
  private boolean admitted(byte[] msg, int len, InetSocketAddress from) throws IOException {
    switch (cookies.check(msg, 0, len, from, underLoad())) {
      case INVALID_MAC1 -> {
        drop(Drop.BAD_MAC1);
        return false;
      }
      case NEEDS_COOKIE -> {
        drop(Drop.COOKIE);
        byte[] reply = cookies.createReply(msg, 0, len, from).toBytes();
        transmit(reply, reply.length, from);
        return false;
      }
      default -> {
        return true;
      }
    }
  }

  /** Counts handshake messages per second; under load for a second after the threshold is passed. */
  private synchronized boolean underLoad() {
    if (forcedLoad.getAsBoolean()) {
      return true;
    }
    long now = System.nanoTime();
    long second = now / 1_000_000_000L;
    if (second != loadSecond) {
      loadSecond = second;
      loadCount = 0;
    }
    if (++loadCount > LOAD_THRESHOLD) {
      loadUntil = now + Protocol.UNDER_LOAD_AFTER_TIME.toNanos();
    }
    return now - loadUntil < 0;
  }

  private void onCookieReply(ByteBuffer b, int len) {
    Parsed<CookieReply> r = CookieReply.parse(b, 0, len);
    Peer p = r.value() == null ? null : indices.get(r.value().receiver());
    if (p == null || p.jar.consume(r.value()) != CookieJar.Outcome.ACCEPTED) {
      drop(Drop.COOKIE);
    }
  }

  /** An initiation whose MACs {@link #admitted} checked. */
  private void onInitiation(byte[] msg, InetSocketAddress from) throws IOException {
    Optional<Noise.Initiated> in = noise.consumeInitiation(msg);
    Peer p = in.map(i -> peers.get(i.remoteStatic())).orElse(null);
    if (p == null) {
      drop(Drop.BAD_HANDSHAKE);
      return;
    }
    p.answer(in.get(), from);
  }

  /** A response whose MACs {@link #admitted} checked. */
  private void onResponse(byte[] msg, InetSocketAddress from) throws IOException {
    int receiver = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).getInt(Messages.RESPONSE_RECEIVER);
    Peer p = indices.get(receiver);
    if (p == null || !p.completeHandshake(msg, from)) {
      drop(Drop.BAD_HANDSHAKE);
    }
  }

  private void onTransport(byte[] msg, int len, Wire.Source from, Inbox box, TunWriter toTun) throws IOException {
    int receiver = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).getInt(Messages.TRANSPORT_RECEIVER);
    Peer p = indices.get(receiver);
    if (p == null) {
      drop(Drop.UNKNOWN_INDEX);
      return;
    }
    Session s = p.receiving(receiver);
    if (s == null) {
      drop(Drop.UNKNOWN_INDEX);
      return;
    }
    InetSocketAddress e = p.endpoint;
    InetSocketAddress source = from.is(e) ? e : from.address();
    if (box.fits(len)) {
      box.add(p, s, msg, len, source, toTun);
      return;
    }
    int n = s.openInPlace(msg, 0, len);
    if (n < 0) {
      drop(n == Session.REPLAYED ? Drop.REPLAYED_TRANSPORT : Drop.BAD_TRANSPORT);
      return;
    }
    n = p.opened(s, msg, 0, n, source);
    if (n > 0) {
      toTun.packet(msg, Messages.TRANSPORT_CONTENT, n);
      rxPackets.increment();
      rxBytes.add(n);
    }
  }

  // ------------------------------------------------------------------ timers

  private void tick() {
    long now = System.nanoTime();
    for (Peer p : peers.values()) {
      try {
        p.tick(now);
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.debug("{}: timer of a peer failed: {}", tun.name(), e.toString());
        }
      }
    }
  }

  private int newIndex(Peer p) {
    while (true) {
      int i = random.nextInt();
      if (i != 0 && indices.putIfAbsent(i, p) == null) {
        return i;
      }
    }
  }

  private void transmit(byte[] msg, int len, InetSocketAddress to) throws IOException {
    wire.sendNow(msg, 0, len, to);
  }

  // ------------------------------------------------------------------ a peer

  /** One peer's configuration and sessions; its methods run under its lock. */
  private final class Peer {
    final PublicKey key;
    final CookieJar jar;
    PeerConfig config;
    /** Written under the lock; read without it where a stale value only costs a comparison. */
    volatile InetSocketAddress endpoint;
    Session current;
    Session previous;
    /** A responder's session, until the initiator sends with it. */
    Session next;
    Noise.Initiation pending;
    long pendingSince;
    long attemptsSince;
    Tai64n lastTimestamp = Tai64n.ZERO;
    /** When we last answered an initiation of this peer (rate limit). */
    long lastAnswered;
    boolean answeredAny;
    final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    long lastSent;
    /** The first data received since {@link #lastSent} (the passive keepalive's start). */
    long lastReceivedData;
    long lastReceived;
    /** Data went out since the peer was last heard from (authenticated), first at {@link #unansweredSince}. */
    boolean unanswered;
    long unansweredSince;

    Peer(PublicKey key) {
      this.key = key;
      this.jar = new CookieJar(key, System::nanoTime);
    }

    synchronized void configure(PeerConfig c) {
      config = c;
      if (endpoint == null) {
        endpoint = c.endpoint().orElse(null);
      } else {
        c.endpoint().ifPresent(e -> endpoint = e);
      }
    }

    /**
     * Sends the packet of {@code len} bytes at {@code buf[16]} (sealed in place, so {@code buf}
     * must have room for the padding and tag after it), or queues it while a handshake runs. The
     * lock covers the choice of session; sealing runs outside it.
     */
    void send(byte[] buf, int at, int len, Outbox box) throws IOException {
      Session s;
      InetSocketAddress to;
      synchronized (this) {
        long now = System.nanoTime();
        s = current;
        to = endpoint;
        if (s == null || !s.canSend(now) || to == null) {
          enqueue(buf, at, len, now);
          return;
        }
        lastSent = now;
        if (!unanswered) {
          unanswered = true;
          unansweredSince = now;
        }
        if (s.wantsRekey(now)) {
          initiate(now, false);
        }
      }
      if (box != null) {
        box.add(s, at, len, to);
        return;
      }
      int n;
      try {
        n = s.sealInPlace(buf, at, len);
      } catch (IllegalStateException retired) {
        return; // retired between the choice and the sealing: lost, as on any rekey race
      }
      txPackets.increment();
      txBytes.add(len);
      wire.queue(buf, at, n, to);
    }

    private void enqueue(byte[] buf, int at, int len, long now) throws IOException {
      if (endpoint == null) {
        drop(Drop.NO_ENDPOINT);
        return;
      }
      if (queue.size() >= QUEUE) {
        queue.poll();
        drop(Drop.QUEUE_FULL);
      }
      queue.add(Arrays.copyOfRange(buf, at + Messages.TRANSPORT_CONTENT, at + Messages.TRANSPORT_CONTENT + len));
      initiate(now, false);
    }

    /** Sends an initiation unless one was sent less than REKEY_TIMEOUT ago (or {@code retry}: now). */
    private void initiate(long now, boolean retry) throws IOException {
      if (endpoint == null) {
        return;
      }
      if (pending != null && !retry && now - pendingSince < timers.rekeyTimeout().toNanos()) {
        return;
      }
      if (pending == null) {
        attemptsSince = now;
      } else {
        indices.remove(pending.localIndex());
        pending.destroy();
      }
      byte[] msg = new byte[Messages.INITIATION_SIZE];
      pending = noise.initiate(key, config.presharedKey().orElse(null), newIndex(this), Tai64n.now(Clock.systemUTC()),
          msg);
      jar.writeMac2(msg, 0, msg.length);
      // Jitter, as the paper asks, so that two peers do not keep colliding.
      pendingSince = now + random.nextInt((int) timers.rekeyTimeoutJitterMax().toMillis()) * 1_000_000L;
      transmit(msg, msg.length, endpoint);
      lastSent = now;
    }

    synchronized void answer(Noise.Initiated in, InetSocketAddress from) throws IOException {
      if (!in.timestamp().isAfter(lastTimestamp)) {
        drop(Drop.REPLAYED_HANDSHAKE);
        return;
      }
      long now = System.nanoTime();
      if (answeredAny && now - lastAnswered < Protocol.HANDSHAKE_INITIATION_RATE.toNanos()) {
        // A flood of fresh initiations (each with a newer timestamp) would each cost a DH and
        // replace the next session: one per HANDSHAKE_INITIATION_RATE at most, as wireguard-go.
        drop(Drop.HANDSHAKE_FLOOD);
        return;
      }
      answeredAny = true;
      lastAnswered = now;
      lastTimestamp = in.timestamp();
      endpoint = from;
      unanswered = false;
      byte[] msg = new byte[Messages.RESPONSE_SIZE];
      int index = newIndex(this);
      Noise.Keypair k = noise.respond(in, config.presharedKey().orElse(null), index, msg);
      jar.writeMac2(msg, 0, msg.length);
      if (next != null) {
        retire(next);
      }
      next = new Session(k, System.nanoTime(), timers);
      transmit(msg, msg.length, from);
      handshakes.increment();
    }

    synchronized boolean completeHandshake(byte[] msg, InetSocketAddress from) throws IOException {
      Noise.Initiation st = pending;
      if (st == null || ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).getInt(Messages.RESPONSE_RECEIVER)
          != st.localIndex()) {
        return false;
      }
      pending = null;
      Optional<Noise.Keypair> k = noise.consumeResponse(st, msg);
      if (k.isEmpty()) {
        indices.remove(st.localIndex());
        return false;
      }
      endpoint = from;
      unanswered = false;
      install(new Session(k.get(), System.nanoTime(), timers));
      handshakes.increment();
      // The responder may send only after we did: flush the queue, or say hello with a keepalive.
      byte[] out = new byte[65535 + Messages.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE];
      long now = System.nanoTime();
      if (queue.isEmpty()) {
        int n = current.seal(ByteBuffer.allocate(0), out);
        transmit(out, n, endpoint);
      }
      while (!queue.isEmpty()) {
        int n = current.seal(ByteBuffer.wrap(queue.poll()), out);
        transmit(out, n, endpoint);
      }
      lastSent = now;
      return true;
    }

    private void install(Session s) {
      if (previous != null) {
        retire(previous);
      }
      previous = current;
      current = s;
    }

    /** Returns the session for local index {@code index} if it still takes messages, else null. */
    synchronized Session receiving(int index) {
      Session s = sessionFor(index);
      return s != null && s.canReceive(System.nanoTime()) ? s : null;
    }

    /**
     * What follows from a transport message of {@code s} that authenticated and was new (its
     * padded packet of {@code n} bytes at {@code msg[at + 16]}) from {@code source}: roaming,
     * confirming a responder's session, the packet's checks.
     *
     * @return the length of the packet to go to the TUN device; 0 for a keepalive; -1 if dropped (counted)
     */
    synchronized int opened(Session s, byte[] msg, int at, int n, InetSocketAddress source) throws IOException {
      long now = System.nanoTime();
      if (!source.equals(endpoint)) {
        endpoint = source; // roaming: the last authenticated source
      }
      lastReceived = now;
      unanswered = false;
      if (s == next) {
        next = null;
        install(s);
        // Packets queued while the handshake ran can go now.
        byte[] out = new byte[65535 + Messages.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE];
        while (!queue.isEmpty()) {
          int m = current.seal(ByteBuffer.wrap(queue.poll()), out);
          transmit(out, m, endpoint);
          lastSent = now;
        }
      }
      if (n == 0) {
        return 0; // a keepalive
      }
      ByteBuffer packet = ByteBuffer.wrap(msg, at + Messages.TRANSPORT_CONTENT, n);
      int length = ipLength(packet);
      if (length <= 0 || length > n || routes.lookup(packet, true) != this) {
        drop(Drop.NOT_ALLOWED);
        return -1;
      }
      if (lastReceivedData - lastSent <= 0) {
        // The first data since we last sent: KEEPALIVE_TIMEOUT runs from it, so that a one-way
        // stream gets a keepalive every KEEPALIVE_TIMEOUT (wireguard-go's timersDataReceived).
        lastReceivedData = now;
      }
      return length;
    }

    private Session sessionFor(int index) {
      for (Session s : new Session[] {current, next, previous}) {
        if (s != null && s.localIndex() == index) {
          return s;
        }
      }
      return null;
    }

    synchronized void tick(long now) throws IOException {
      if (pending != null && now - pendingSince >= timers.rekeyTimeout().toNanos()) {
        if (now - attemptsSince >= timers.rekeyAttemptTime().toNanos()) {
          // Give up: the queued packets go, the next packet starts again.
          indices.remove(pending.localIndex());
          pending.destroy();
          pending = null;
          queue.clear();
        } else {
          initiate(now, true);
        }
      }
      for (Session s : new Session[] {current, previous, next}) {
        if (s != null && !s.canReceive(now)) {
          retire(s);
        }
      }
      if (unanswered && now - unansweredSince >= timers.keepaliveTimeout().plus(timers.rekeyTimeout()).toNanos()) {
        // Data went out and nothing authentic came back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (the
        // peer sends a keepalive within KEEPALIVE_TIMEOUT of receiving data): it may have lost the
        // session, e.g. restarted. A new handshake (paper §6.5; wireguard-go's newHandshake timer).
        unanswered = false;
        initiate(now, false);
      }
      Session s = current;
      if (s != null && s.initiator() && pending == null
          && lastReceived - s.createdNanos() >= timers.rekeyOnReceiveAfterTime().toNanos()) {
        // Our keypair is still received with close to REJECT_AFTER_TIME; a peer that only receives
        // never meets REKEY_AFTER_TIME (checked when sending data): renew it before it expires
        // (paper §6.2; wireguard-go's keepKeyFreshReceiving).
        initiate(now, false);
      }
      Duration persistent = config.persistentKeepalive();
      if (s == null || !s.canSend(now) || endpoint == null) {
        if (!persistent.isZero() && pending == null && now - lastSent >= persistent.toNanos()) {
          // A persistent keepalive needs a session: it starts a handshake, as wireguard-go's does, so
          // that a peer behind NAT is reachable before it has anything to send.
          initiate(now, false);
        }
        return;
      }
      boolean passive = lastReceivedData > lastSent && now - lastReceivedData >= timers.keepaliveTimeout().toNanos();
      boolean scheduled = !persistent.isZero() && now - lastSent >= persistent.toNanos();
      if (passive || scheduled) {
        byte[] out = new byte[Messages.TRANSPORT_OVERHEAD];
        int n = s.seal(ByteBuffer.allocate(0), out);
        transmit(out, n, endpoint);
        lastSent = now;
      }
    }

    private void retire(Session s) {
      indices.remove(s.localIndex());
      s.destroy();
      if (s == current) {
        current = null;
      } else if (s == previous) {
        previous = null;
      } else if (s == next) {
        next = null;
      }
    }

    synchronized void retire() {
      for (Session s : new Session[] {current, previous, next}) {
        if (s != null) {
          retire(s);
        }
      }
      if (pending != null) {
        indices.remove(pending.localIndex());
        pending.destroy();
        pending = null;
      }
      queue.clear();
    }
  }

  /** The total length an IPv4 or IPv6 header gives, or -1. */
  private static int ipLength(ByteBuffer p) {
    int at = p.position();
    if (p.remaining() >= 20 && (p.get(at) & 0xf0) == 0x40) {
      return p.getShort(at + 2) & 0xffff;
    }
    if (p.remaining() >= 40 && (p.get(at) & 0xf0) == 0x60) {
      return 40 + (p.getShort(at + 4) & 0xffff);
    }
    return -1;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timer.shutdownNow();
    wire.close();
    tun.close();
    try {
      tunLoop.join(2000);
      udpLoop.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    wire.release();
    peers.values().forEach(Peer::retire);
  }

  @Override
  public String toString() {
    return "WgDevice{" + tun.name() + ", mtu=" + mtu + ", peers=" + peers.size() + "}";
  }
}
