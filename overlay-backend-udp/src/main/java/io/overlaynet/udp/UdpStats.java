package io.overlaynet.udp;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a udp network's counters since it started: packets carried each way, system
 * calls used (their ratio is the batching achieved) and drops by reason.
 *
 * <pre>{@code
 * UdpStats s = network.stats();
 * if (s.drops(DropReason.SPOOFED_SOURCE) > 0) { ... }
 * double perCall = (double) s.txPackets() / s.txCalls();
 * }</pre>
 */
public final class UdpStats {

  private final long txPackets;
  private final long txBytes;
  private final long txCalls;
  private final long rxPackets;
  private final long rxBytes;
  private final long rxCalls;
  private final long rxTunWrites;
  private final long icmpUnreachableSent;
  private final Map<DropReason, Long> drops;

  UdpStats(long txPackets, long txBytes, long txCalls, long rxPackets, long rxBytes, long rxCalls,
      long rxTunWrites, long icmpUnreachableSent, Map<DropReason, Long> drops) {
    this.txPackets = txPackets;
    this.txBytes = txBytes;
    this.txCalls = txCalls;
    this.rxPackets = rxPackets;
    this.rxBytes = rxBytes;
    this.rxCalls = rxCalls;
    this.rxTunWrites = rxTunWrites;
    this.icmpUnreachableSent = icmpUnreachableSent;
    this.drops = Collections.unmodifiableMap(new EnumMap<>(drops));
  }

  /** Returns the packets read from the TUN device and sent to a peer. */
  public long txPackets() {
    return txPackets;
  }

  /** Returns the bytes of those packets (the UDP payloads). */
  public long txBytes() {
    return txBytes;
  }

  /** Returns the {@code sendmmsg} calls that sent them. */
  public long txCalls() {
    return txCalls;
  }

  /** Returns the datagrams received, accepted and written to the TUN device. */
  public long rxPackets() {
    return rxPackets;
  }

  /** Returns the bytes of those packets. */
  public long rxBytes() {
    return rxBytes;
  }

  /** Returns the {@code recvmmsg} calls that returned datagrams. */
  public long rxCalls() {
    return rxCalls;
  }

  /**
   * Returns the TUN writes that delivered the received packets: with TUN offload, runs of
   * consecutive TCP segments of one flow go in as one super-packet, so this is lower than
   * {@link #rxPackets()}.
   */
  public long rxTunWrites() {
    return rxTunWrites;
  }

  /** Returns the ICMP net unreachable packets written back for packets with no peer. */
  public long icmpUnreachableSent() {
    return icmpUnreachableSent;
  }

  /** Returns the packets dropped for {@code reason}. */
  public long drops(DropReason reason) {
    return drops.getOrDefault(reason, 0L);
  }

  /** Returns the drops for every reason (each reason present, possibly 0). */
  public Map<DropReason, Long> drops() {
    return drops;
  }

  /** Returns all drops together. */
  public long totalDrops() {
    return drops.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("UdpStats{tx=").append(txPackets).append(" pkts/").append(txBytes)
        .append(" B in ").append(txCalls).append(" calls, rx=").append(rxPackets).append(" pkts/").append(rxBytes)
        .append(" B in ").append(rxCalls).append(" calls/").append(rxTunWrites).append(" TUN writes, icmp=").append(icmpUnreachableSent).append(", drops={");
    String sep = "";
    for (Map.Entry<DropReason, Long> e : drops.entrySet()) {
      if (e.getValue() != 0) {
        sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
        sep = ", ";
      }
    }
    return sb.append("}}").toString();
  }
}
