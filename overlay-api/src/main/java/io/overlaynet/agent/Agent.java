package io.overlaynet.agent;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.DataPlaneView;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseEvent;
import io.overlaynet.LeaseKeeperListener;
import io.overlaynet.LeaseListener;
import io.overlaynet.Network;
import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.SubnetEnv;
import io.overlaynet.SubnetFile;
import io.overlaynet.SubnetManager;
import io.overlaynet.SubnetManagerOptions;
import io.overlaynet.TrafficStats;
import io.overlaynet.impl.Backoff;
import io.overlaynet.impl.RetryLog;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreUnavailableException;
import io.overlaynet.agent.AgentState.Phase;
import io.overlaynet.agent.AgentState.Problem;
import io.overlaynet.traffic.ForwardSpec;
import io.overlaynet.traffic.MasqSpec;
import io.overlaynet.traffic.TrafficException;
import io.overlaynet.traffic.TrafficListener;
import io.overlaynet.traffic.TrafficManager;
import io.overlaynet.traffic.TrafficMode;
import io.overlaynet.traffic.TrafficOptions;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overlay agent of one node, assembled from a {@link SubnetManager}, a {@link Backend} and
 * {@link AgentOptions}: what flanneld's {@code main.go} does, as an object an orchestrator can run
 * in-process.
 *
 * <p>{@link #start()} runs flannel's sequence: read the network config (waiting while it is absent
 * or invalid, or while the store cannot be reached), choose the external interface, register the
 * backend (device + lease), install the ip-masq and forward rules if asked, write
 * {@code subnet.env}, then watch every lease and keep the node's own one renewed. {@link #close()}
 * stops promptly and, like flanneld, leaves routes and devices in place so traffic keeps flowing
 * across a restart.
 *
 * <p>Store faults do not stop it: watches are set up again and re-listed, renewals retried, and a
 * lease that was deleted or expired (say, while the node was cut off) is taken again with the same
 * subnet, the data plane untouched meanwhile. The agent stops by itself, with the reason in
 * {@link #stopped()}, only when it cannot go on correctly: another node holds its subnet now, or
 * the store refuses it for good (e.g. authentication).
 *
 * <pre>{@code
 * try (Store store = InMemoryStore.create();
 *      Agent agent = Agent.builder()
 *          .store(store, "/coreos.com/network")
 *          .options(AgentOptions.DEFAULT.withInterfaces(List.of("eth0")))
 *          .build()) {
 *   Lease lease = agent.start();
 *   agent.stopped().join();   // until closed, or it cannot go on (the reason is in the exception)
 * }
 * }</pre>
 *
 * <p>What it is doing can be asked at any time: {@link #state()} (starting, waiting for its config,
 * ready, degraded with the reason, stopped), {@link #metrics()} (counters cheap enough to scrape
 * often) and {@link #dataPlane()} (per peer, what the backend programmed and how the kernel
 * compares).
 *
 * <p>Work that touches the kernel runs on a thread from the builder's {@link ThreadFactory}, so an
 * agent can be run for another network namespace by giving it a factory whose threads live there.
 */
public final class Agent implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  /**
   * The longest wait between two attempts to reach the store while starting: a node booted while
   * etcd is down starts within this of etcd's return (flanneld: 2-3 s); a thousand such nodes,
   * jittered, ask a few hundred times a second.
   */
  private static final Duration MAX_RETRY = Duration.ofSeconds(5);
  private static final String FETCHING_CONFIG = "Fetching the network config";

  private final Function<AgentOptions, SubnetManager> managerFactory;
  private final boolean ownsManager;
  private final Optional<Backend> backend;
  private final AgentOptions options;
  private final AgentListener listener;
  private final HostNetwork hostNetwork;
  private final Optional<ExternalInterface> fixedInterface;
  private final ThreadFactory threadFactory;
  private final BiFunction<AgentOptions, TrafficMode, TrafficManager> trafficFactory;

  private final ListenerDispatcher dispatcher = new ListenerDispatcher();
  private final MetricsRecorder metrics = new MetricsRecorder();
  private final Object stateLock = new Object();
  /** The problems of a running agent and their latest error text; guarded by stateLock. */
  private final Map<Problem, String> problems = new EnumMap<>(Problem.class);
  /** Whether the agent became ready (its state is then READY or DEGRADED); guarded by stateLock. */
  private boolean running;
  private volatile AgentState state = new AgentState(Phase.STARTING, Set.of(), Optional.empty(), Instant.now());
  /** Why a start failed, for the STOPPED state. */
  private volatile String stopReason;
  private volatile PeerRelay relay;

  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<Lease>> started =
      new java.util.concurrent.atomic.AtomicReference<>();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final Object sleeper = new Object();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private volatile Thread starter;
  private volatile SubnetManager manager;
  private volatile Network network;
  private volatile Lease lease;
  private volatile ExternalInterface externalInterface;
  private volatile NetworkConfig networkConfig;

  private Agent(Builder b) {
    this.managerFactory = b.managerFactory;
    this.ownsManager = b.ownsManager;
    this.backend = Optional.ofNullable(b.backend);
    this.options = b.options;
    this.listener = dispatched(b.listener);
    this.hostNetwork = b.hostNetwork != null ? b.hostNetwork : HostNetwork.system();
    this.fixedInterface = Optional.ofNullable(b.externalInterface);
    this.threadFactory = b.threadFactory;
    // The default managers report their resyncs to the metrics; an embedder's own do not.
    this.trafficFactory = b.trafficFactory != null ? b.trafficFactory
        : (o, mode) -> TrafficManager.create(mode,
            TrafficOptions.DEFAULT.withResyncPeriod(o.resyncPeriod()).withRandomFully(o.masqFullyRandom()),
            new TrafficCounter());
  }

  /** Returns a builder; a subnet manager or a store is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the agent and waits until it is ready: the backend is up, the lease held and
   * {@code subnet.env} written. While the network config is missing or invalid, or the store cannot
   * be reached, it waits and retries (as flanneld does); {@link #close()} from another thread ends
   * the wait. Calling it again, or after {@link #startAsync()}, waits for the same start.
   *
   * @return this node's lease
   * @throws AgentException if the agent cannot start (no interface, unknown backend, the backend
   *     failed, or it was closed meanwhile); the message says why, and the agent is closed
   */
  public Lease start() {
    return await(startAsync(), null);
  }

  /**
   * Starts the agent and waits at most {@code timeout} for it to be ready; see {@link #start()}.
   *
   * @throws AgentException if it is not ready in time (the agent is then closed, so nothing stays
   *     half-started), or cannot start at all
   */
  public Lease start(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    return await(startAsync(), timeout);
  }

  /**
   * Starts the agent without waiting: the future completes with this node's lease once the agent
   * is ready, or exceptionally with an {@link AgentException} saying why it could not start (the
   * agent is then closed). Idempotent: every call returns the same future.
   *
   * <pre>{@code
   * agent.startAsync().thenAccept(lease -> markNodeReady(lease.subnet()));
   * }</pre>
   */
  public CompletableFuture<Lease> startAsync() {
    CompletableFuture<Lease> ready = new CompletableFuture<>();
    if (!started.compareAndSet(null, ready)) {
      return started.get();
    }
    if (closing.get()) {
      ready.completeExceptionally(new AgentException("the agent was closed before it started"));
      return ready;
    }
    Thread t = threadFactory.newThread(() -> {
      try {
        Lease l = startUp();
        ready.complete(l);
      } catch (Throwable e) {
        failStart(ready, e);
      } finally {
        starter = null;
      }
    });
    starter = t;
    t.start();
    // A thread factory whose thread dies before running the task (say, it could not enter its
    // namespace) would otherwise leave the future pending for ever.
    Thread watch = new Thread(() -> {
      try {
        t.join();
      } catch (InterruptedException e) {
        return;
      }
      if (!ready.isDone()) {
        failStart(ready, new AgentException("the agent's start thread " + t.getName()
            + " ended without starting it (see its uncaught exception)"));
      }
    }, "overlaynet-agent-start-watch");
    watch.setDaemon(true);
    watch.start();
    return ready;
  }

  /** Completes a failed start with the reason, as an {@link AgentException}, and closes the agent. */
  private void failStart(CompletableFuture<Lease> ready, Throwable e) {
    boolean closedMeanwhile = closing.get();
    AgentException reason;
    if (e instanceof AgentException ae) {
      reason = ae;
    } else if (closedMeanwhile) {
      // Whatever the interrupted step threw, the reason is the close.
      reason = new AgentException("the agent was closed while starting", e);
    } else {
      reason = new AgentException("failed to start: " + e.getMessage(), e);
    }
    // Closed first, so that whoever sees the failure sees a stopped agent.
    stopReason = reason.getMessage();
    if (Thread.currentThread() == starter) {
      starter = null; // close() must not wait for the very thread that runs it
    }
    close();
    ready.completeExceptionally(reason);
  }

  private Lease await(CompletableFuture<Lease> ready, Duration timeout) {
    try {
      return timeout == null ? ready.get() : ready.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      AgentException reason = new AgentException("the agent was not ready within " + timeout + "; it was closed");
      stopReason = reason.getMessage();
      close();
      throw reason;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new AgentException("interrupted while starting", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof AgentException ae ? ae : new AgentException("failed to start: " + cause, cause);
    }
  }

  private Lease startUp() throws Exception {
    SubnetEnv previous = previousSubnetFile(options);
    AgentOptions opts = options;
    manager = managerFactory.apply(opts);
    if (ownsManager) {
      own(manager);
    }
    NetworkConfig config = awaitConfig();
    networkConfig = config;
    log.info("Found network config - Backend type: {}", config.backend().type());
    ExternalInterface ext = fixedInterface.orElseGet(() -> InterfaceSelector.select(hostNetwork, opts, config));
    externalInterface = ext;
    Backend be = backend.or(() -> Backend.byType(config.backend().type()))
        .orElseThrow(() -> new AgentException("unknown backend type: " + config.backend().type()
            + " (is its jar, e.g. overlay-backend-" + config.backend().type().replace("-", "") + ", on the class path?)"));
    checkOpen();
    Network net;
    try {
      net = be.register(new BackendContext(new RetryingAcquire(manager), config, ext, new RepairCounter()));
    } catch (AgentException e) {
      throw e;
    } catch (Exception e) {
      throw new AgentException("Error registering network: " + e.getMessage(), e);
    }
    network = net;
    own(net);
    lease = net.lease();
    listener.onLeaseAcquired(lease);
    checkOpen();

    setUpTrafficRules(config, previous);
    writeSubnetFile(config, net);

    PeerRelay peers = new PeerRelay(net, lease);
    relay = peers;
    own(retrying("Watching the subnet leases", () -> manager.watchLeases(peers)));
    Lease held = lease;
    own(retrying("Keeping the lease", () -> manager.keepLease(held, new Keeper())));
    log.info("Running backend {}; watching for new subnet leases", be.type());
    listener.onReady(lease);
    becomeReady();
    return lease;
  }

  private static final SubnetEnv NO_PREVIOUS =
      new SubnetEnv(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0, false);

  /** Reads the subnet file a previous run left, as flanneld does at start; problems only warn. */
  static SubnetEnv previousSubnetFile(AgentOptions o) {
    if (o.subnetFile().isEmpty()) {
      return NO_PREVIOUS;
    }
    try {
      return SubnetFile.read(o.subnetFile().get()).orElse(NO_PREVIOUS);
    } catch (IOException e) {
      log.warn("Cannot read the previous subnet file {}: {}", o.subnetFile().get(), e.toString());
      return NO_PREVIOUS;
    }
  }

  /** Keeps {@code r} to close on stop; closes it at once if the agent is already stopping. */
  private <T extends AutoCloseable> T own(T r) throws Exception {
    synchronized (resources) {
      if (!closing.get()) {
        resources.add(r);
        return r;
      }
    }
    r.close();
    throw new AgentException("the agent was closed while starting");
  }

  private NetworkConfig awaitConfig() {
    return retrying(FETCHING_CONFIG, () -> manager.networkConfig());
  }

  /**
   * Runs a step that needs the store until it works: while the store cannot be reached (or, for
   * the config, while the config is missing or invalid, as flanneld waits for it) it retries with
   * back-off and jitter, warning once per kind of failure. {@link #close()} ends the wait.
   *
   * @throws AgentException if the agent is closed meanwhile
   */
  private <T> T retrying(String what, java.util.function.Supplier<T> step) {
    long first = options.configRetry().toMillis();
    Backoff backoff = new Backoff(options.configRetry(), Duration.ofMillis(Math.max(first, MAX_RETRY.toMillis())));
    RetryLog retryLog = new RetryLog(log, what);
    while (true) {
      checkOpen();
      try {
        T result = step.get();
        retryLog.recovered();
        starting(Phase.STARTING, Optional.empty());
        return result;
      } catch (NetworkConfigException | StoreUnavailableException e) {
        long delay = backoff.nextMillis();
        if (retryLog.failed(e, delay)) {
          listener.onError(e);
        }
        // Waiting for the config is flanneld's normal first state; any other wait is a start that stalls.
        starting(what.equals(FETCHING_CONFIG) ? Phase.WAITING_FOR_CONFIG : Phase.STARTING,
            Optional.of(what + ": " + e.getMessage()));
        sleep(Duration.ofMillis(delay));
      }
    }
  }

  /**
   * The subnet manager as the backend sees it while registering: acquiring the lease waits for an
   * unreachable store instead of failing the start (a node booted before etcd, or during an etcd
   * outage, starts once etcd answers). Backends stay simple: they call {@code acquireLease} once.
   */
  private final class RetryingAcquire implements SubnetManager {
    private final SubnetManager delegate;

    RetryingAcquire(SubnetManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public NetworkConfig networkConfig() {
      return delegate.networkConfig();
    }

    @Override
    public Lease acquireLease(LeaseAttrs attrs) {
      return retrying("Acquiring a lease", () -> {
        try {
          return delegate.acquireLease(attrs);
        } catch (NetworkConfigException e) {
          // The config existed a moment ago: deleted or broken meanwhile is not worth waiting for here.
          throw new AgentException("Error acquiring a lease: " + e.getMessage(), e);
        }
      });
    }

    @Override
    public Lease renewLease(Lease l) {
      return delegate.renewLease(l);
    }

    @Override
    public LeaseWatch watchLeases(LeaseListener l) {
      return delegate.watchLeases(l);
    }

    @Override
    public LeaseWatch keepLease(Lease l, LeaseKeeperListener k) {
      return delegate.keepLease(l, k);
    }

    @Override
    public void close() {
      // The agent closes the real manager.
    }
  }

  private void setUpTrafficRules(NetworkConfig config, SubnetEnv previous) throws Exception {
    if (!options.ipMasq() && !options.forwardRules()) {
      return;
    }
    try {
      TrafficMode mode = TrafficMode.of(config);
      removeUnusedModeRules(mode.other());
      TrafficManager traffic = own(trafficFactory.apply(options, mode));
      if (options.ipMasq()) {
        log.info("Setting up masking rules");
        Optional<Ip6Net> net6 = config.enableIpv6() ? Optional.of(config.ipv6Network()) : Optional.empty();
        traffic.setupMasqRules(new MasqSpec(config.network(), lease.subnet(), previous.network(), previous.subnet(),
            net6, lease.ipv6Subnet(), previous.ipv6Network(), previous.ipv6Subnet()));
      }
      if (options.forwardRules()) {
        log.info("Setting up forward rules");
        traffic.setupForwardRules(new ForwardSpec(
            config.enableIpv4() ? Optional.of(config.network()) : Optional.<Ip4Net>empty(),
            config.enableIpv6() ? Optional.of(config.ipv6Network()) : Optional.<Ip6Net>empty()));
      }
    } catch (AgentException e) {
      throw e;
    } catch (Exception e) {
      throw new AgentException("Failed to set up firewall rules: " + e.getMessage(), e);
    }
  }

  /**
   * flanneld's "Cleaning-up unused traffic manager rules": what a run in the other mode left (its
   * chains or tables) is removed, so switching modes leaves nothing behind. Leftovers do not stop
   * the start: a failure here is logged and the agent goes on.
   */
  private void removeUnusedModeRules(TrafficMode unused) {
    log.info("Cleaning-up unused traffic manager rules ({})", unused);
    try (TrafficManager other = trafficFactory.apply(options, unused)) {
      other.removeRules();
    } catch (TrafficException e) {
      log.warn("Could not remove the {} rules of an earlier run: {}", unused, e.getMessage());
    }
  }

  private void writeSubnetFile(NetworkConfig config, Network net) {
    if (options.subnetFile().isEmpty()) {
      return;
    }
    SubnetEnv env = new SubnetEnv(
        config.enableIpv4() ? Optional.of(config.network()) : Optional.empty(),
        config.enableIpv4() ? Optional.of(lease.subnet()) : Optional.empty(),
        config.enableIpv6() ? Optional.of(config.ipv6Network()) : Optional.empty(),
        lease.ipv6Subnet(), net.mtu(), options.ipMasq());
    try {
      SubnetFile.write(options.subnetFile().get(), env);
    } catch (IOException e) {
      throw new AgentException("Failed to write subnet file " + options.subnetFile().get() + ": " + e.getMessage(), e);
    }
    log.info("Wrote subnet file to {}", options.subnetFile().get());
  }

  /** Returns this node's lease once started. */
  public Optional<Lease> lease() {
    return Optional.ofNullable(lease);
  }

  /** Returns the registered backend network once started. */
  public Optional<Network> network() {
    return Optional.ofNullable(network);
  }

  /** Returns the network config the agent runs with, once it has read it. */
  public Optional<NetworkConfig> networkConfig() {
    return Optional.ofNullable(networkConfig);
  }

  /** Returns the chosen external interface once started. */
  public Optional<ExternalInterface> externalInterface() {
    return Optional.ofNullable(externalInterface);
  }

  /** Returns where the agent stands now; every change also reaches {@link AgentListener#onStateChanged}. */
  public AgentState state() {
    return state;
  }

  /**
   * Returns a snapshot of the agent's counters: lease expiry, renewals, watch reconnects and
   * re-lists, lease events applied and their event-to-kernel latency, repairs by kind, peers, the
   * udp data path's packets and drops, iptables resyncs. Cheap (no kernel or store call): it can
   * be scraped as often as wanted, from any thread.
   */
  public AgentMetrics metrics() {
    Network net = network;
    PeerRelay r = relay;
    Lease l = lease;
    Optional<TrafficStats> traffic = Optional.empty();
    if (net != null) {
      try {
        traffic = net.traffic();
      } catch (RuntimeException e) {
        log.debug("the backend's traffic counters failed: {}", e.toString());
      }
    }
    return metrics.snapshot(l == null ? Optional.empty() : l.expiration(), r == null ? 0 : r.count(), traffic);
  }

  /**
   * Returns, for each remote lease the backend was given, what it programmed and how the kernel
   * compares now (missing, wrong), and what the backend owns that no lease backs (stale). It reads
   * the kernel, so it is meant for status queries; the data plane does not wait for it. Every
   * remote lease is listed, with no entries from a backend that cannot describe its data plane.
   *
   * @return {@link DataPlaneView#UNKNOWN} until the agent runs
   * @throws io.overlaynet.BackendException if the backend cannot read the kernel
   */
  public DataPlaneView dataPlane() {
    Network net = network;
    PeerRelay r = relay;
    if (net == null || r == null) {
      return DataPlaneView.UNKNOWN;
    }
    DataPlaneView v = net.dataPlane();
    Map<String, PeerStatus> byKey = new LinkedHashMap<>();
    for (PeerStatus p : v.peers()) {
      byKey.put(p.lease().key(), p);
    }
    for (Lease l : r.leases()) {
      byKey.putIfAbsent(l.key(), new PeerStatus(l, List.of(), Optional.empty()));
    }
    return new DataPlaneView(List.copyOf(byKey.values()), v.stale());
  }

  // ------------------------------------------------------------------ state

  /** Enters a phase of the start (STARTING or WAITING_FOR_CONFIG), unless running or stopped already. */
  private void starting(Phase phase, Optional<String> reason) {
    synchronized (stateLock) {
      if (!running && state.phase() != Phase.STOPPED) {
        set(phase, reason);
      }
    }
  }

  private void becomeReady() {
    synchronized (stateLock) {
      running = true;
      publishRunning();
    }
  }

  /** Records a problem of a running agent (or one that is about to run); it degrades the agent until cleared. */
  private void raise(Problem p, Throwable error) {
    String text = switch (p) {
      case WATCH_LOST -> "lease watch lost";
      case RENEWAL_FAILING -> "lease renewal failing";
      case REPAIR_FAILING -> "data plane repair failing";
    };
    synchronized (stateLock) {
      problems.put(p, text + ": " + error.getMessage());
      publishRunning();
    }
  }

  private void clear(Problem p) {
    synchronized (stateLock) {
      if (problems.remove(p) != null) {
        publishRunning();
      }
    }
  }

  /** Under stateLock: READY or DEGRADED from the problems, once running and until stopped. */
  private void publishRunning() {
    if (!running || state.phase() == Phase.STOPPED) {
      return;
    }
    if (problems.isEmpty()) {
      set(Phase.READY, Optional.empty());
    } else {
      set(Phase.DEGRADED, Optional.of(String.join("; ", problems.values())));
    }
  }

  /** Under stateLock: moves to a new state, if it differs, and tells the listener. */
  private void set(Phase phase, Optional<String> reason) {
    AgentState now = state;
    Set<Problem> kinds = phase == Phase.DEGRADED ? Set.copyOf(problems.keySet()) : Set.of();
    if (now.phase() == phase && now.problems().equals(kinds) && now.reason().equals(reason)) {
      return;
    }
    // A new error text for the same problems is news, but not a new state: "since" stays.
    boolean sameState = now.phase() == phase && now.problems().equals(kinds);
    AgentState next = new AgentState(phase, kinds, reason, sameState ? now.since() : Instant.now());
    state = next;
    if (!sameState) {
      if (phase == Phase.DEGRADED) {
        log.warn("Agent degraded: {}", reason.orElse(""));
      } else if (phase == Phase.READY && now.phase() == Phase.DEGRADED) {
        log.info("Agent ready again");
      }
    }
    listener.onStateChanged(next);
  }

  /**
   * Returns a future that completes when the agent has stopped: normally after {@link #close()},
   * exceptionally with the reason when it stopped by itself (e.g. its lease was lost).
   */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /**
   * Stops the agent promptly: watches, renewal and firewall resync end and the backend's threads
   * stop. Routes, devices, rules and the lease in the store are left as they are. Idempotent.
   */
  @Override
  public void close() {
    shutdown(null);
  }

  private void shutdown(Throwable cause) {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    // Stopped from now on, not once everything is closed: readiness ends at once (a lost lease).
    synchronized (stateLock) {
      set(Phase.STOPPED, Optional.ofNullable(cause != null ? cause.getMessage() : stopReason));
    }
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
    Thread t = starter;
    if (t != null && t != Thread.currentThread()) {
      // A store call of the start (connecting to an etcd that is down, say) may be sleeping
      // between attempts: the interrupt ends it at once instead of at its request timeout.
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<AutoCloseable> toClose;
    synchronized (resources) {
      toClose = new ArrayList<>(resources);
      resources.clear();
    }
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        log.warn("Error while stopping {}: {}", toClose.get(i), e.toString());
      }
    }
    log.info("Exiting cleanly...");
    listener.onStopped(cause);
    // The listener hears the stop before stopped() completes (or within 2 s, for a slow one).
    dispatcher.drainAndStop(2000);
    if (cause == null) {
      stopped.complete(null);
    } else {
      stopped.completeExceptionally(cause);
    }
  }

  private void checkOpen() {
    if (closing.get()) {
      throw new AgentException("the agent was closed while starting");
    }
  }

  private void sleep(Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    synchronized (sleeper) {
      while (!closing.get()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return;
        }
        try {
          sleeper.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          checkOpen(); // close() interrupts the start: say that, not "interrupted"
          throw new AgentException("interrupted while waiting for the store", e);
        }
      }
    }
  }

  /**
   * Passes remote leases to the backend and tells the listener. A snapshot (at start and after
   * every re-list) goes to the backend whole, so it reconciles; the listener hears only what
   * changed against the previous one.
   */
  private final class PeerRelay implements LeaseListener {
    private final Network net;
    private final Lease own;
    /** The remote leases as last passed on, by key; touched by the manager's one delivery thread at a time. */
    private final Map<String, Lease> peers = new HashMap<>();
    private volatile int count;
    private boolean firstSnapshot = true;

    PeerRelay(Network net, Lease own) {
      this.net = net;
      this.own = own;
    }

    /** Returns how many remote leases the backend holds now. */
    int count() {
      return count;
    }

    /** Returns the remote leases the backend holds now. */
    synchronized List<Lease> leases() {
      return List.copyOf(peers.values());
    }

    private boolean remote(Lease l) {
      return !l.subnet().equals(own.subnet()) || !l.ipv6Subnet().equals(own.ipv6Subnet());
    }

    @Override
    public synchronized void onSnapshot(List<Lease> leases) {
      List<Lease> remote = leases.stream().filter(this::remote).toList();
      net.onSnapshot(remote);
      Map<String, Lease> fresh = new HashMap<>();
      for (Lease l : remote) {
        fresh.put(l.key(), l);
      }
      for (Lease gone : peers.values()) {
        if (!fresh.containsKey(gone.key())) {
          log.info("Subnet removed: {}", gone.subnetsText());
          listener.onPeerRemoved(gone);
        }
      }
      for (Lease l : remote) {
        if (!l.equals(peers.get(l.key()))) {
          log.info("Subnet added: {} via {}", l.subnetsText(), via(l));
          listener.onPeerAdded(l);
        }
      }
      peers.clear();
      peers.putAll(fresh);
      count = peers.size();
      if (!firstSnapshot) {
        metrics.relists.increment();
      }
      firstSnapshot = false;
      clear(Problem.WATCH_LOST);
    }

    @Override
    public void onWatchInterrupted(Throwable error) {
      metrics.watchReconnects.increment();
      raise(Problem.WATCH_LOST, error);
    }

    @Override
    public synchronized void onEvents(List<LeaseEvent> events) {
      List<LeaseEvent> remote = events.stream().filter(e -> remote(e.lease())).toList();
      if (remote.isEmpty()) {
        return;
      }
      long begin = System.nanoTime();
      net.onEvents(remote);
      metrics.eventToKernel(System.nanoTime() - begin);
      metrics.leaseEventsApplied.add(remote.size());
      for (LeaseEvent e : remote) {
        if (e.type() == LeaseEvent.Type.ADDED) {
          peers.put(e.lease().key(), e.lease());
          log.info("Subnet added: {} via {}", e.lease().subnetsText(), via(e.lease()));
          listener.onPeerAdded(e.lease());
        } else {
          peers.remove(e.lease().key());
          log.info("Subnet removed: {}", e.lease().subnetsText());
          listener.onPeerRemoved(e.lease());
        }
      }
      count = peers.size();
    }

    @Override
    public void onError(Throwable error) {
      // Never run on blind: without the watch, nodes that come and go would go unnoticed.
      log.error("The lease watch ended for good: {}. Shutting down daemon.", error.getMessage());
      listener.onError(error);
      stopInBackground(new AgentException("the lease watch ended for good: " + error.getMessage(), error));
    }
  }

  /** Stops the agent with {@code cause} on a thread of its own (callbacks run on threads close() stops). */
  private void stopInBackground(AgentException cause) {
    Thread t = new Thread(() -> shutdown(cause), "overlaynet-agent-stop");
    t.setDaemon(true);
    t.start();
  }

  private static String via(Lease l) {
    LeaseAttrs a = l.attrs();
    return a.publicIpv6().map(v6 -> a.publicIp().isUnspecified() ? v6.toString() : a.publicIp() + " " + v6)
        .orElse(a.publicIp().toString());
  }

  /** Relays the keeper's news and stops the agent when the lease is lost for good. */
  private final class Keeper implements LeaseKeeperListener {
    @Override
    public void onRenewed(Lease renewed) {
      lease = renewed;
      metrics.renewals.increment();
      clear(Problem.RENEWAL_FAILING);
      listener.onLeaseRenewed(renewed);
    }

    @Override
    public void onRenewFailed(Throwable error, Instant retryAt) {
      metrics.renewalFailures.increment();
      raise(Problem.RENEWAL_FAILING, error);
      listener.onError(error);
    }

    @Override
    public void onLost(Lease lost) {
      // Taking another subnet in place would leave every container of this node with an address
      // that now routes to the other node: stop and say so; a restart takes a new subnet.
      log.error("Lease has been revoked: {} is held by another node now. Shutting down daemon.", lost.subnet());
      listener.onLeaseLost(lost);
      stopInBackground(new AgentException("the lease " + lost.subnet()
          + " expired or was deleted in the store and another node holds that subnet now; restart the agent to"
          + " acquire a new one"));
    }

    @Override
    public void onFailed(Throwable error) {
      log.error("Keeping the lease failed for good: {}. Shutting down daemon.", error.getMessage());
      listener.onError(error);
      stopInBackground(new AgentException("keeping the lease failed: " + error.getMessage(), error));
    }
  }

  /** Counts the backend's repairs; repairs that keep failing degrade the agent. */
  private final class RepairCounter implements ReconcileListener {
    @Override
    public void onRepaired(RepairKind kind, int count) {
      metrics.repaired(kind, count);
    }

    @Override
    public void onReconciled() {
      clear(Problem.REPAIR_FAILING);
    }

    @Override
    public void onReconcileFailed(Throwable error) {
      metrics.repairFailures.increment();
      raise(Problem.REPAIR_FAILING, error);
    }
  }

  /** Counts the iptables resyncs. */
  private final class TrafficCounter implements TrafficListener {
    @Override
    public void onRestored(String name, int missing) {
      metrics.iptablesRestores.increment();
    }

    @Override
    public void onResyncFailed(String name, Throwable error) {
      metrics.iptablesFailures.increment();
    }
  }

  /**
   * Wraps the embedder's listener so that its calls run on the dispatcher's thread, in order: a
   * slow or broken callback must not delay or break the start, a renewal or the delivery of lease
   * events; what it throws is logged and goes no further.
   */
  private AgentListener dispatched(AgentListener l) {
    return new AgentListener() {
      private void call(String what, Runnable r) {
        dispatcher.call(what, r);
      }

      @Override
      public void onLeaseAcquired(Lease lease) {
        call("onLeaseAcquired", () -> l.onLeaseAcquired(lease));
      }

      @Override
      public void onLeaseRenewed(Lease lease) {
        call("onLeaseRenewed", () -> l.onLeaseRenewed(lease));
      }

      @Override
      public void onLeaseLost(Lease lease) {
        call("onLeaseLost", () -> l.onLeaseLost(lease));
      }

      @Override
      public void onPeerAdded(Lease lease) {
        call("onPeerAdded", () -> l.onPeerAdded(lease));
      }

      @Override
      public void onPeerRemoved(Lease lease) {
        call("onPeerRemoved", () -> l.onPeerRemoved(lease));
      }

      @Override
      public void onReady(Lease lease) {
        call("onReady", () -> l.onReady(lease));
      }

      @Override
      public void onError(Throwable error) {
        call("onError", () -> l.onError(error));
      }

      @Override
      public void onStateChanged(AgentState state) {
        call("onStateChanged", () -> l.onStateChanged(state));
      }

      @Override
      public void onStopped(Throwable cause) {
        call("onStopped", () -> l.onStopped(cause));
      }
    };
  }

  /** Assembles an {@link Agent}. */
  public static final class Builder {
    private Function<AgentOptions, SubnetManager> managerFactory;
    private boolean ownsManager;
    private Backend backend;
    private AgentOptions options = AgentOptions.DEFAULT;
    private AgentListener listener = new AgentListener() {};
    private HostNetwork hostNetwork;
    private ExternalInterface externalInterface;
    private ThreadFactory threadFactory = r -> new Thread(r, "overlaynet-agent-start");
    /** Null: the manager of the config's mode, reporting its resyncs to the agent's metrics. */
    private BiFunction<AgentOptions, TrafficMode, TrafficManager> trafficFactory;

    private Builder() {}

    /** Uses this subnet manager (not closed by the agent). */
    public Builder subnetManager(SubnetManager manager) {
      Objects.requireNonNull(manager, "manager");
      this.managerFactory = o -> manager;
      this.ownsManager = false;
      return this;
    }

    /**
     * Uses flannel's lease model over {@code store} under {@code prefix} (e.g.
     * {@code /coreos.com/network}); the previous subnet is read from the subnet file and the renew
     * margin from the options. The store is not closed by the agent.
     */
    public Builder store(Store store, String prefix) {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(prefix, "prefix");
      this.managerFactory = o -> {
        SubnetManagerOptions smo = SubnetManagerOptions.DEFAULT.withPrefix(prefix).withRenewMargin(o.renewMargin());
        SubnetEnv prev = previousSubnetFile(o);
        SubnetManagerOptions.Builder b = smo.toBuilder();
        prev.subnet().ifPresent(b::withPreviousSubnet);
        prev.ipv6Subnet().ifPresent(b::withPreviousIpv6Subnet);
        smo = b.build();
        log.info("Created subnet manager with previous subnet: {}", prev.subnet().map(Object::toString).orElse("None"));
        return SubnetManager.overStore(store, smo);
      };
      this.ownsManager = true;
      return this;
    }

    /** Uses this backend instead of the one named by the config's {@code Backend.Type}. */
    public Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** Sets the options (default {@link AgentOptions#DEFAULT}). */
    public Builder options(AgentOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Sets the listener. */
    public Builder listener(AgentListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Reads interfaces and routes from {@code host} (default {@link HostNetwork#system()}). */
    public Builder hostNetwork(HostNetwork host) {
      this.hostNetwork = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Skips interface selection and uses {@code iface}. */
    public Builder externalInterface(ExternalInterface iface) {
      this.externalInterface = Objects.requireNonNull(iface, "iface");
      return this;
    }

    /** Creates the thread that starts the backend (e.g. one inside a network namespace). */
    public Builder threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Replaces the traffic managers (e.g. with ones that run iptables or nft in a namespace). The
     * agent asks {@code factory} for the mode the network config chooses ({@code EnableNFTables}),
     * and, at start-up, for the other mode, whose {@link TrafficManager#removeRules()} it calls and
     * which it closes at once. {@link TrafficManager#create} builds either. To have the resyncs
     * counted in {@link Agent#metrics()}, build them with a {@link TrafficListener} of your own; the
     * agent's default managers are counted.
     *
     * <pre>{@code
     * builder.trafficManager((options, mode) -> TrafficManager.create(mode,
     *     TrafficOptions.DEFAULT.withCommandPrefix(List.of("ip", "netns", "exec", "node1")), TrafficListener.NONE));
     * }</pre>
     */
    public Builder trafficManager(BiFunction<AgentOptions, TrafficMode, TrafficManager> factory) {
      this.trafficFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Builds the agent; nothing runs until {@link Agent#start()}.
     *
     * @throws IllegalStateException if neither a subnet manager nor a store was given
     */
    public Agent build() {
      if (managerFactory == null) {
        throw new IllegalStateException("an agent needs a subnet manager or a store");
      }
      return new Agent(this);
    }
  }
}
