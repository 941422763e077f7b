package io.overlaynet.wireguard.internal;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpNet;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * WireGuard's cryptokey routing table (paper §2): which peer an outgoing packet's destination
 * belongs to, and whether an incoming packet's source is one its peer may use; longest prefix
 * wins. Immutable: the data path reads a snapshot while lease events build the next one.
 *
 * <p>Lookups go from the longest prefix length present to the shortest, one hash probe each; a
 * flannel node has one or two lengths (the subnet length, maybe a peer's /32), so that is one or
 * two probes per packet.
 */
final class AllowedIps<T> {

  private static final AllowedIps<?> EMPTY = new AllowedIps<>(new int[0], new HashMap<>(), new int[0], new HashMap<>());

  private final int[] lengths4;
  private final Map<Long, T> v4;
  private final int[] lengths6;
  private final Map<String, T> v6;

  private AllowedIps(int[] lengths4, Map<Long, T> v4, int[] lengths6, Map<String, T> v6) {
    this.lengths4 = lengths4;
    this.v4 = v4;
    this.lengths6 = lengths6;
    this.v6 = v6;
  }

  @SuppressWarnings("unchecked")
  static <T> AllowedIps<T> empty() {
    return (AllowedIps<T>) EMPTY;
  }

  /** Returns a table of these networks (a later entry for the same network wins). */
  static <T> AllowedIps<T> of(Map<? extends IpNet, T> entries) {
    Map<Long, T> v4 = new HashMap<>();
    Map<String, T> v6 = new HashMap<>();
    List<Integer> l4 = new ArrayList<>();
    List<Integer> l6 = new ArrayList<>();
    entries.forEach((net, value) -> {
      if (net instanceof Ip4Net n) {
        v4.put(key4(n.address().toInt(), n.prefixLength()), value);
        if (!l4.contains(n.prefixLength())) {
          l4.add(n.prefixLength());
        }
      } else if (net instanceof Ip6Net n) {
        v6.put(key6(n.address().toBytes(), n.prefixLength()), value);
        if (!l6.contains(n.prefixLength())) {
          l6.add(n.prefixLength());
        }
      }
    });
    return new AllowedIps<>(descending(l4), v4, descending(l6), v6);
  }

  /** Returns the entry for the IPv4 address {@code addr} (host order), or null. */
  T lookup4(int addr) {
    for (int len : lengths4) {
      T t = v4.get(key4(addr, len));
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  /** Returns the entry for the 16-byte IPv6 address at {@code off} of {@code packet}, or null. */
  T lookup6(ByteBuffer packet, int off) {
    if (lengths6.length == 0) {
      return null;
    }
    byte[] a = new byte[16];
    packet.get(off, a);
    for (int len : lengths6) {
      T t = v6.get(key6(a, len));
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  /** Returns the entry for the destination (or, with {@code source}, the source) of an IP packet, or null. */
  T lookup(ByteBuffer packet, boolean source) {
    int p = packet.position();
    if (packet.remaining() >= 20 && (packet.get(p) & 0xf0) == 0x40) {
      return lookup4(packet.getInt(p + (source ? 12 : 16)));
    }
    if (packet.remaining() >= 40 && (packet.get(p) & 0xf0) == 0x60) {
      return lookup6(packet, p + (source ? 8 : 24));
    }
    return null;
  }

  private static long key4(int addr, int len) {
    int mask = len == 0 ? 0 : -1 << (32 - len);
    return ((long) len << 32) | ((addr & mask) & 0xffffffffL);
  }

  private static String key6(byte[] a, int len) {
    byte[] m = Arrays.copyOf(a, 16);
    for (int i = 0; i < 16; i++) {
      int bits = Math.max(0, Math.min(8, len - i * 8));
      m[i] &= (byte) (0xff << (8 - bits));
    }
    return len + "/" + Arrays.toString(m);
  }

  private static int[] descending(List<Integer> lengths) {
    return lengths.stream().sorted((a, b) -> b - a).mapToInt(Integer::intValue).toArray();
  }
}
