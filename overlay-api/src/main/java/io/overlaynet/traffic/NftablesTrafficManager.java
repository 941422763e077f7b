package io.overlaynet.traffic;

import io.overlaynet.ip.IpNet;
import io.overlaynet.traffic.NftablesRules.Chain;
import io.overlaynet.traffic.NftablesRules.Family;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nftables {@link TrafficManager}: flanneld v0.28's {@code NFTablesManager}, applied with
 * {@code nft -f} and, unlike flannel, resynced: every period each family's table is listed with
 * {@code nft -j list table} and, if anything in it differs from what was set up or is missing,
 * the whole table is replaced in one transaction. Internal; obtain it through
 * {@link TrafficManager#nftables}.
 */
final class NftablesTrafficManager implements TrafficManager {

  private static final Logger log = LoggerFactory.getLogger(NftablesTrafficManager.class);

  private final TrafficOptions options;
  private final TrafficListener listener;
  private final CommandRunner runner;
  private final NftTool nft;
  // One nft operation at a time: a resync replacing a table while a setup adds a chain to it
  // would drop the new chain.
  private final ReentrantLock lock = new ReentrantLock();
  /** Per family, the chains set up, by name, in setup order; guarded by lock. */
  private final Map<Family, Map<String, Chain>> kept = new EnumMap<>(Family.class);
  /** Per family, the table as listed right after its last change: what the resync expects; guarded by lock. */
  private final Map<Family, NftTable> expected = new EnumMap<>(Family.class);
  /** Whether flannel's Init ran (both tables exist since); guarded by lock. */
  private boolean initialized;
  /** The fully-random probe's answer, once asked; guarded by lock. */
  private Boolean fullyRandomSupported;
  private final ResyncLoop resync;

  NftablesTrafficManager(TrafficOptions options, TrafficListener listener) {
    this.options = options;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.runner = new CommandRunner(options.commandPrefix(), options.commandTimeout(), "overlaynet-nftables-io-");
    this.nft = new NftTool(options, runner);
    for (Family f : Family.values()) {
      kept.put(f, new LinkedHashMap<>());
    }
    this.resync = new ResyncLoop("nftables", options.resyncPeriod(), this::resyncAll);
  }

  @Override
  public void setupMasqRules(MasqSpec spec) throws TrafficException {
    checkOpen();
    lock.lock();
    try {
      init();
      // flannel's flush-and-add in one transaction removes the rules built from the previous
      // network or lease together with everything else in the chain: no separate recycle step.
      if (spec.ipv4Enabled()) {
        logRecycle(spec.network(), spec.lease(), spec.previousNetwork(), spec.previousLease());
        log.info("nftables: setting up masking rules (ipv4)");
        install(NftablesRules.masqChain(spec.network(), spec.lease(), fullyRandom()));
      }
      if (spec.ipv6Enabled()) {
        logRecycle(spec.ipv6Network().get(), spec.ipv6Lease().get(), spec.previousIpv6Network(),
            spec.previousIpv6Lease());
        log.info("nftables: setting up masking rules (ipv6)");
        install(NftablesRules.masqChain6(spec.ipv6Network().get(), spec.ipv6Lease().get(), fullyRandom()));
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void setupForwardRules(ForwardSpec spec) throws TrafficException {
    checkOpen();
    lock.lock();
    try {
      init();
      // As flannel: a family whose network is empty (0.0.0.0/0, ::/0) gets no "accept everything".
      Optional<? extends IpNet> net4 = spec.network().filter(n -> !n.isEmpty());
      Optional<? extends IpNet> net6 = spec.ipv6Network().filter(n -> !n.isEmpty());
      if (net4.isPresent()) {
        log.info("nftables: setting up forward rules for {}", net4.get());
        install(NftablesRules.forwardChain(net4.get()));
      }
      if (net6.isPresent()) {
        log.info("nftables: setting up forward rules for {}", net6.get());
        install(NftablesRules.forwardChain(net6.get()));
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Deletes both tables ({@code ip flannel-ipv4}, {@code ip6 flannel-ipv6}) in one transaction,
   * whichever exist (flannel's {@code CleanUp}), and forgets what was set up. Without {@code nft}
   * there is nothing it could have written: nothing to do.
   */
  @Override
  public void removeRules() throws TrafficException {
    checkOpen();
    lock.lock();
    try {
      forget();
      if (!nft.installed()) {
        log.info("nftables: nft is not installed, so there are no nftables rules to clean up");
        return;
      }
      log.info("Cleaning-up nftables rules...");
      StringBuilder script = new StringBuilder();
      for (Family f : Family.values()) {
        // `add` first: deleting a table that does not exist would fail the whole transaction.
        script.append("add table ").append(f.qualifiedTable()).append('\n').append(NftablesRules.deleteScript(f));
      }
      nft.apply(script.toString());
    } finally {
      lock.unlock();
    }
  }

  /** flannel's {@code Init}: both tables, whatever families are enabled; and the resync watches both from now on. */
  private void init() throws TrafficException {
    if (initialized) {
      return;
    }
    log.info("Starting flannel in nftables mode...");
    nft.apply(NftablesRules.initScript());
    for (Family f : Family.values()) {
      expected.put(f, listOrFail(f).only(kept.get(f).keySet()));
    }
    initialized = true;
  }

  private void install(Chain chain) throws TrafficException {
    Family f = chain.family();
    nft.apply(NftablesRules.setupScript(chain));
    kept.get(f).put(chain.name(), chain);
    // What the kernel shows right after our transaction is what the resync keeps: no rule is
    // rendered twice (once as text, once as JSON). Other chains a previous run left in the table
    // are not part of it, so the first resync removes them.
    expected.put(f, listOrFail(f).only(kept.get(f).keySet()));
    log.info("nftables: {} chain {} in table {} set up: {} rules", f, chain.name(), f.qualifiedTable(),
        chain.rules().size());
  }

  private NftTable listOrFail(Family f) throws TrafficException {
    return nft.list(f).orElseThrow(() -> new TrafficException(
        "nftables: table " + f.qualifiedTable() + " vanished right after it was written", null));
  }

  private boolean fullyRandom() throws TrafficException {
    if (!options.randomFully()) {
      return false;
    }
    if (fullyRandomSupported == null) {
      fullyRandomSupported = nft.check(NftablesRules.fullyRandomProbeScript());
      if (!fullyRandomSupported) {
        log.warn("nftables: random fully unsupported");
      }
    }
    return fullyRandomSupported;
  }

  private static <N extends IpNet> void logRecycle(N network, N lease, Optional<N> previousNetwork,
      Optional<N> previousLease) {
    if (previousNetwork.isPresent() && previousLease.isPresent()
        && (!network.equals(previousNetwork.get()) || !lease.equals(previousLease.get()))) {
      log.info("Current network or subnet ({}, {}) is not equal to previous one ({}, {}): the previous rules go "
          + "with the chain's flush", network, lease, previousNetwork.get(), previousLease.get());
    }
  }

  private void forget() {
    kept.values().forEach(Map::clear);
    expected.clear();
    initialized = false;
  }

  /** One resync pass: each family's table against what was set up; the whole table replaced if they differ. */
  private void resyncAll() {
    if (resync.isClosed()) {
      return;
    }
    try {
      lock.lockInterruptibly();
    } catch (InterruptedException e) {
      return;  // close() is stopping us
    }
    try {
      if (!initialized) {
        return;
      }
      for (Family f : Family.values()) {
        if (resync.isClosed()) {
          return;
        }
        String name = f + " nftables table " + f.table();
        try {
          ensure(f, name);
        } catch (TrafficException e) {
          if (resync.isClosed()) {
            return;  // the command was killed by close(): not a failure
          }
          log.warn("Failed to ensure {}, retrying in {} ms: {}", name, options.resyncPeriod().toMillis(),
              e.getMessage());
          tell(() -> listener.onResyncFailed(name, e));
        } catch (RuntimeException e) {
          // A periodic task that throws is never run again: log and keep the loop alive.
          log.error("Unexpected failure ensuring {}", name, e);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private void ensure(Family f, String name) throws TrafficException {
    NftTable want = expected.get(f);
    Optional<NftTable> now = nft.list(f);
    if (now.isPresent() && now.get().equals(want)) {
      return;
    }
    int differences = now.map(t -> t.differences(want)).orElse(1 + want.chains().size()
        + want.rules().values().stream().mapToInt(List::size).sum());
    log.info("nftables: {} {}; replacing the table", name,
        now.isPresent() ? "differs from what was set up (" + differences + " objects)" : "is missing");
    nft.apply(NftablesRules.rebuildScript(f, kept.get(f).values()));
    expected.put(f, listOrFail(f).only(kept.get(f).keySet()));
    log.info("Restored {}", name);
    tell(() -> listener.onRestored(name, differences));
  }

  private static void tell(Runnable call) {
    ResyncLoop.tell(call);
  }

  private void checkOpen() {
    resync.checkOpen();
  }

  @Override
  public void close() {
    if (resync.close()) {
      runner.close();
    }
  }
}
