package io.overlaynet.udp;

import io.overlaynet.Lease;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.udp.internal.Counters;
import io.overlaynet.udp.internal.DataPath;
import io.overlaynet.udp.internal.PeerTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of a udp overlay: the TUN device ({@code flannel0}), the UDP socket(s) on the
 * configured port and the threads that carry every packet between them, with the peer table the
 * lease events maintain. Made by {@link UdpBackend#register}.
 *
 * <pre>{@code
 * UdpNetwork net = (UdpNetwork) agent.network().orElseThrow();
 * UdpStats stats = net.stats();             // packets, batching, drops by reason
 * net.close();                              // threads end, flannel0 disappears
 * }</pre>
 *
 * <p>Lease events may arrive from any thread; they replace the peer table atomically, so the
 * data path never waits for them.
 */
public final class UdpNetwork implements Network {

  private static final Logger log = LoggerFactory.getLogger(UdpNetwork.class);

  private final Lease lease;
  private final int mtu;
  private final int port;
  private final String device;
  /** The TUN queues (overlay-netlink TunDevice queues, with or without the vnet header); closing the last removes the device. */
  private final List<AutoCloseable> queues;
  private final List<UdpSocket> sockets;
  private final DataPath dataPath;
  private final Counters counters;
  private boolean closed;

  UdpNetwork(Lease lease, int mtu, int port, String device, List<AutoCloseable> queues, List<UdpSocket> sockets,
      DataPath dataPath, Counters counters) {
    this.lease = lease;
    this.mtu = mtu;
    this.port = port;
    this.device = device;
    this.queues = List.copyOf(queues);
    this.sockets = List.copyOf(sockets);
    this.dataPath = dataPath;
    this.counters = counters;
  }

  @Override
  public Lease lease() {
    return lease;
  }

  /** Returns the TUN MTU: the external interface MTU minus 28 (IPv4 + UDP headers). */
  @Override
  public int mtu() {
    return mtu;
  }

  /** Returns the TUN device name the kernel gave, normally {@code flannel0}. */
  public String deviceName() {
    return device;
  }

  /** Returns the UDP port datagrams are sent to and received on. */
  public int port() {
    return port;
  }

  /** Returns the number of queues (TUN queues, sockets and thread pairs). */
  public int queues() {
    return queues.size();
  }

  /** Returns the current peers: each remote subnet and the public IP its datagrams go to. */
  public Map<Ip4Net, Ip4> peers() {
    Map<Ip4Net, Ip4> m = new LinkedHashMap<>();
    for (PeerTable.Peer p : dataPath.peers().peers()) {
      m.put(p.subnet(), p.publicIp());
    }
    return m;
  }

  /** Returns a snapshot of the counters since the network started. */
  public UdpStats stats() {
    return new UdpStats(counters.txPackets(), counters.txBytes(), counters.txCalls(), counters.rxPackets(),
        counters.rxBytes(), counters.rxCalls(), counters.rxWrites(), counters.icmpSent(), counters.drops());
  }

  /** Replaces the peer table with these leases (the node's own lease, if present, is ignored). */
  @Override
  public synchronized void onSnapshot(List<Lease> leases) {
    List<PeerTable.Peer> peers = new ArrayList<>();
    for (Lease l : leases) {
      PeerTable.Peer p = toPeer(l);
      if (p != null) {
        peers.add(p);
      }
    }
    dataPath.setPeers(PeerTable.of(peers));
    log.debug("udp peers on {}: {}", device, peers);
  }

  /** Adds or removes peers; events are not filtered by backend type, as in flannel's udp backend. */
  @Override
  public synchronized void onEvents(List<LeaseEvent> events) {
    PeerTable t = dataPath.peers();
    for (LeaseEvent e : events) {
      if (e.type() == LeaseEvent.Type.ADDED) {
        PeerTable.Peer p = toPeer(e.lease());
        if (p != null) {
          t = t.with(p);
        }
      } else {
        t = t.without(e.lease().subnet());
      }
    }
    dataPath.setPeers(t);
  }

  private PeerTable.Peer toPeer(Lease l) {
    // flannel's udp backend reads only PublicIP; a lease without an IPv4 subnet or address
    // (IPv6-only node) or this node's own lease has nothing to route to.
    if (l.subnet().isEmpty() || l.attrs().publicIp().isUnspecified() || l.subnet().equals(lease.subnet())) {
      return null;
    }
    return new PeerTable.Peer(l.subnet(), l.attrs().publicIp());
  }

  /**
   * Stops the data path and removes the TUN device (with its address and route), like flanneld,
   * whose {@code flannel0} is not persistent; returns within about 1 s. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!dataPath.stop(1000)) {
      // A thread still inside a native call would use the fds after they are closed (or
      // reused): leave them open rather than risk writing into an unrelated fd.
      log.error("udp data path of {} did not stop within 1 s; leaving its fds open", device);
      return;
    }
    dataPath.close();
    sockets.forEach(UdpSocket::close);
    for (AutoCloseable q : queues) {
      try {
        q.close();
      } catch (Exception e) {
        log.warn("closing a queue of {}: {}", device, e.toString());
      }
    }
    log.info("udp network on {} stopped; {}", device, stats());
  }

  @Override
  public String toString() {
    return "UdpNetwork{" + device + ", lease=" + lease.subnet() + ", port=" + port + ", mtu=" + mtu + "}";
  }
}
