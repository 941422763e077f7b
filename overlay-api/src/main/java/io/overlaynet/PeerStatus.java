package io.overlaynet;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a backend programmed for one remote lease, as the kernel holds it now.
 *
 * @param lease the remote lease (its subnets and public addresses)
 * @param entries the objects kept for it, each with its drift; empty when the backend keeps
 *     nothing for it (e.g. a lease of another backend type, or one whose data did not decode)
 * @param lastError the last failure to program it, if it has not been programmed since
 */
public record PeerStatus(Lease lease, List<DataPlaneEntry> entries, Optional<String> lastError) {

  /** Checks and copies the components. */
  public PeerStatus {
    Objects.requireNonNull(lease, "lease");
    entries = List.copyOf(entries);
    Objects.requireNonNull(lastError, "lastError");
  }

  /** Returns whether every entry is present as wanted and no error is pending. */
  public boolean inSync() {
    return lastError.isEmpty() && entries.stream().allMatch(e -> e.drift() == DataPlaneEntry.Drift.OK);
  }
}
