package io.overlaynet.udp.internal;

import io.overlaynet.udp.DropReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live counters of one data path. Workers add per batch (not per packet), so the counters
 * cost a few atomic adds per system call. Internal usage only; embedders read
 * {@link io.overlaynet.udp.UdpStats} snapshots.
 */
public final class Counters {

  final LongAdder txPackets = new LongAdder();
  final LongAdder txBytes = new LongAdder();
  final LongAdder txCalls = new LongAdder();
  final LongAdder rxPackets = new LongAdder();
  final LongAdder rxBytes = new LongAdder();
  final LongAdder rxCalls = new LongAdder();
  final LongAdder rxWrites = new LongAdder();
  final LongAdder icmpSent = new LongAdder();
  private final LongAdder[] drops = new LongAdder[DropReason.values().length];

  /** Creates zeroed counters. */
  public Counters() {
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  /** Counts one dropped packet. */
  public void drop(DropReason reason) {
    drops[reason.ordinal()].increment();
  }

  /** Returns the packets sent as datagrams. */
  public long txPackets() {
    return txPackets.sum();
  }

  /** Returns the bytes of those packets (UDP payload bytes). */
  public long txBytes() {
    return txBytes.sum();
  }

  /** Returns the successful {@code sendmmsg} calls. */
  public long txCalls() {
    return txCalls.sum();
  }

  /** Returns the packets received and written to the TUN device. */
  public long rxPackets() {
    return rxPackets.sum();
  }

  /** Returns the bytes of those packets. */
  public long rxBytes() {
    return rxBytes.sum();
  }

  /** Returns the successful {@code recvmmsg} calls. */
  public long rxCalls() {
    return rxCalls.sum();
  }

  /** Returns the TUN writes of received packets (fewer than the packets when segments are coalesced). */
  public long rxWrites() {
    return rxWrites.sum();
  }

  /** Returns the ICMP net unreachable packets written back into the TUN device. */
  public long icmpSent() {
    return icmpSent.sum();
  }

  /** Returns the drops per reason (every reason present). */
  public Map<DropReason, Long> drops() {
    Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      m.put(r, drops[r.ordinal()].sum());
    }
    return m;
  }
}
