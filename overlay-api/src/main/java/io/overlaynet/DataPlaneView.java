package io.overlaynet;

import java.util.List;

/**
 * A backend's data plane as it stands, read from the kernel when asked ({@link Network#dataPlane()}):
 * per remote lease what is programmed for it, and what the backend owns that no lease backs.
 *
 * @param peers one status per remote lease the backend was given
 * @param stale entries the backend owns without a lease behind them (each {@link DataPlaneEntry.Drift#STALE})
 */
public record DataPlaneView(List<PeerStatus> peers, List<DataPlaneEntry> stale) {

  /** What a backend that cannot describe its data plane returns. */
  public static final DataPlaneView UNKNOWN = new DataPlaneView(List.of(), List.of());

  /** Copies the lists. */
  public DataPlaneView {
    peers = List.copyOf(peers);
    stale = List.copyOf(stale);
  }

  /** Returns whether every peer is in sync and nothing stale is left. */
  public boolean inSync() {
    return stale.isEmpty() && peers.stream().allMatch(PeerStatus::inSync);
  }
}
