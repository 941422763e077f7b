package io.overlaynet.agent;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where an {@link Agent} stands ({@link Agent#state()}); every change also reaches
 * {@link AgentListener#onStateChanged}. Immutable.
 *
 * <pre>{@code
 * AgentState s = agent.state();
 * if (s.phase() == AgentState.Phase.DEGRADED) {
 *   alert("overlay degraded: " + s.reason().orElseThrow());
 * }
 * }</pre>
 *
 * @param phase the phase
 * @param problems what degrades a running agent (empty unless {@link Phase#DEGRADED})
 * @param reason why it is degraded, waiting or stopped, in words (the latest problem's error);
 *     empty when ready or stopped on request
 * @param since when this state began
 */
public record AgentState(Phase phase, Set<Problem> problems, Optional<String> reason, Instant since) {

  /** The phases of an agent's life. */
  public enum Phase {
    /** Built or starting: choosing the interface, registering the backend, acquiring the lease. */
    STARTING,
    /** Starting, but the network config is missing or invalid, or the store cannot be reached. */
    WAITING_FOR_CONFIG,
    /** Running: the data plane is up, {@code subnet.env} written, watch and renewal healthy. */
    READY,
    /** Running, but something it keeps up is failing and being retried ({@link #problems()}). */
    DEGRADED,
    /** Stopped: closed, failed to start, or stopped by itself ({@link #reason()} says why). */
    STOPPED
  }

  /** What can degrade a running agent. */
  public enum Problem {
    /** The lease watch broke and is being set up again: nodes that come or go meanwhile are not seen. */
    WATCH_LOST,
    /** Renewing this node's lease fails (the store is unreachable, say); the lease may expire. */
    RENEWAL_FAILING,
    /** The backend cannot repair its data plane (the kernel refuses, the device cannot be recreated). */
    REPAIR_FAILING
  }

  /** Checks and copies the components. */
  public AgentState {
    Objects.requireNonNull(phase, "phase");
    problems = problems.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(problems));
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(since, "since");
  }

  /** Returns whether the agent runs (ready or degraded). */
  public boolean running() {
    return phase == Phase.READY || phase == Phase.DEGRADED;
  }

  /** Returns e.g. {@code DEGRADED [RENEWAL_FAILING]: etcd unreachable} or {@code READY}. */
  @Override
  public String toString() {
    return phase + (problems.isEmpty() ? "" : " " + problems) + reason.map(r -> ": " + r).orElse("");
  }
}
