package io.overlaynet.udp.internal;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable peer table of the data path: remote subnets to their nodes' public IPs. Data-path
 * threads read the current table without locks; lease events build a new one (copy-on-write).
 *
 * <p>Lookups use longest-prefix match (flannel takes the first match, so overlapping leases
 * behave by luck there): one sorted array of networks per distinct prefix length, searched
 * from the longest length down, so a lookup costs a binary search per prefix length in use —
 * normally one. Addresses are big-endian ints as read from packets. Internal usage only.
 */
public final class PeerTable {

  /** A remote node: its subnet and where its datagrams go. */
  public record Peer(Ip4Net subnet, Ip4 publicIp) {
    /** Checks the components. */
    public Peer {
      Objects.requireNonNull(subnet, "subnet");
      Objects.requireNonNull(publicIp, "publicIp");
    }

    int network() {
      return subnet.address().toInt() & mask();
    }

    int mask() {
      return subnet.prefixLength() == 0 ? 0 : -1 << (32 - subnet.prefixLength());
    }

    /** Returns whether {@code addr} (big-endian int) lies in the peer's subnet. */
    public boolean contains(int addr) {
      return (addr & mask()) == network();
    }
  }

  /** The empty table. */
  public static final PeerTable EMPTY = new PeerTable(new LinkedHashMap<>());

  private final Map<Ip4Net, Peer> bySubnet;
  private final int[] lengths;
  private final int[] masks;
  private final int[][] networks;
  private final Peer[][] peers;
  private final int[] sources;
  private final int[] sourceNets;
  private final int[] sourceMasks;

  private PeerTable(Map<Ip4Net, Peer> bySubnet) {
    this.bySubnet = bySubnet;
    List<Peer> all = new ArrayList<>(bySubnet.values());
    int[] lens = all.stream().mapToInt(p -> p.subnet().prefixLength()).distinct()
        .boxed().sorted(Comparator.reverseOrder()).mapToInt(Integer::intValue).toArray();
    this.lengths = lens;
    this.masks = new int[lens.length];
    this.networks = new int[lens.length][];
    this.peers = new Peer[lens.length][];
    for (int i = 0; i < lens.length; i++) {
      int len = lens[i];
      Peer[] group = all.stream().filter(p -> p.subnet().prefixLength() == len)
          .sorted(Comparator.comparingInt(p -> flip(p.network()))).toArray(Peer[]::new);
      peers[i] = group;
      networks[i] = Arrays.stream(group).mapToInt(p -> flip(p.network())).toArray();
      masks[i] = group[0].mask();
    }
    Peer[] bySource = all.stream().sorted(Comparator.comparingInt(p -> flip(p.publicIp().toInt())))
        .toArray(Peer[]::new);
    this.sources = Arrays.stream(bySource).mapToInt(p -> flip(p.publicIp().toInt())).toArray();
    this.sourceNets = Arrays.stream(bySource).mapToInt(Peer::network).toArray();
    this.sourceMasks = Arrays.stream(bySource).mapToInt(Peer::mask).toArray();
  }

  /** Sign-flips so that signed int order is unsigned address order. */
  private static int flip(int addr) {
    return addr ^ 0x80000000;
  }

  /** Returns a table of these peers; of two with the same subnet the later wins. */
  public static PeerTable of(Collection<Peer> peers) {
    Map<Ip4Net, Peer> m = new LinkedHashMap<>();
    for (Peer p : peers) {
      m.put(p.subnet(), p);
    }
    return new PeerTable(m);
  }

  /** Returns a copy with {@code peer} added, replacing any peer with the same subnet. */
  public PeerTable with(Peer peer) {
    if (peer.equals(bySubnet.get(peer.subnet()))) {
      return this;
    }
    Map<Ip4Net, Peer> m = new LinkedHashMap<>(bySubnet);
    m.put(peer.subnet(), peer);
    return new PeerTable(m);
  }

  /** Returns a copy without the peer of {@code subnet}. */
  public PeerTable without(Ip4Net subnet) {
    if (!bySubnet.containsKey(subnet)) {
      return this;
    }
    Map<Ip4Net, Peer> m = new LinkedHashMap<>(bySubnet);
    m.remove(subnet);
    return new PeerTable(m);
  }

  /** Returns the peers, in insertion order. */
  public List<Peer> peers() {
    return List.copyOf(bySubnet.values());
  }

  /** Returns the peer of exactly {@code subnet}, or null. */
  public Peer get(Ip4Net subnet) {
    return bySubnet.get(subnet);
  }

  /** Returns the number of peers. */
  public int size() {
    return bySubnet.size();
  }

  /**
   * Returns the peer whose subnet is the longest prefix containing {@code dst} (big-endian int),
   * or null.
   */
  public Peer route(int dst) {
    for (int i = 0; i < lengths.length; i++) {
      int idx = Arrays.binarySearch(networks[i], flip(dst & masks[i]));
      if (idx >= 0) {
        return peers[i][idx];
      }
    }
    return null;
  }

  /** Returns whether {@code publicIp} (big-endian int) is the public IP of some peer. */
  public boolean isPeer(int publicIp) {
    return Arrays.binarySearch(sources, flip(publicIp)) >= 0;
  }

  /**
   * Returns whether a datagram from {@code publicIp} may carry inner source {@code innerSrc}:
   * some peer with that public IP has a subnet containing it. (Several leases may share one
   * public IP, e.g. a stale one next to a new one.)
   */
  public boolean accepts(int publicIp, int innerSrc) {
    int key = flip(publicIp);
    int idx = Arrays.binarySearch(sources, key);
    if (idx < 0) {
      return false;
    }
    while (idx > 0 && sources[idx - 1] == key) {
      idx--;
    }
    for (; idx < sources.length && sources[idx] == key; idx++) {
      if ((innerSrc & sourceMasks[idx]) == sourceNets[idx]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "PeerTable" + bySubnet.values();
  }
}
