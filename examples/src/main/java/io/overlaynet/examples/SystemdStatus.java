package io.overlaynet.examples;

import io.overlaynet.Lease;
import io.overlaynet.agent.AgentState;
import java.util.Optional;

/** The {@code STATUS=} line systemd shows for each state of the agent ({@code systemctl status}). */
final class SystemdStatus {

  private SystemdStatus() {}

  /** E.g. {@code Ready: lease 10.5.3.0/24} or {@code Degraded: lease renewal failing: ...}. */
  static String text(AgentState.Phase phase, Optional<String> reason, Optional<Lease> lease) {
    String why = reason.map(r -> ": " + r).orElse("");
    return switch (phase) {
      case STARTING -> "Starting" + why;
      case WAITING_FOR_CONFIG -> "Waiting for the network config" + why;
      case READY -> "Ready" + lease.map(l -> ": lease " + l.subnetsText()).orElse("");
      case DEGRADED -> "Degraded" + why;
      case STOPPED -> "Stopped" + why;
    };
  }
}
