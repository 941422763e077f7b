package io.overlaynet;

import java.util.Map;
import java.util.Objects;

/**
 * The packet counters of a backend whose data path runs in this process (the udp backend); a
 * kernel data path (vxlan, host-gw) has none of its own ({@link Network#traffic()} is empty).
 * Counters only grow, from the network's registration on.
 *
 * @param txPackets overlay packets sent to peers
 * @param txBytes bytes of those packets
 * @param rxPackets overlay packets received from peers
 * @param rxBytes bytes of those packets
 * @param drops packets dropped, by reason (a stable lower-case name, e.g. {@code no_route})
 */
public record TrafficStats(long txPackets, long txBytes, long rxPackets, long rxBytes, Map<String, Long> drops) {

  /** Copies the drops. */
  public TrafficStats {
    drops = Map.copyOf(Objects.requireNonNull(drops, "drops"));
  }
}
