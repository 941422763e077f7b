package io.overlaynet.traffic;

import io.overlaynet.ip.IpNet;
import io.overlaynet.traffic.IptablesRules.Rule;
import io.overlaynet.traffic.IptablesTool.Family;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iptables {@link TrafficManager}: flanneld HEAD's {@code IPTablesManager}, applied with
 * {@code iptables-restore --noflush} and checked with {@code iptables -C}. Internal; obtain it
 * through {@link TrafficManager#iptables}.
 */
final class IptablesTrafficManager implements TrafficManager {

  private static final Logger log = LoggerFactory.getLogger(IptablesTrafficManager.class);

  /** Builds one family's masquerade rules. */
  @FunctionalInterface
  private interface MasqRenderer<N extends IpNet> {
    List<Rule> render(N network, N lease, boolean randomFully);
  }

  /** A rule set kept in place by the resync loop. */
  private record KeptSet(String name, IptablesTool tool, List<Rule> rules) {}

  private final TrafficOptions options;
  private final CommandRunner runner;
  private final IptablesTool v4;
  private final IptablesTool v6;
  // One iptables operation at a time (flannel's iptables-restore mutex): a resync interleaved
  // with a setup could otherwise delete a rule the other just checked and fail its restore.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, KeptSet> kept = new LinkedHashMap<>();  // guarded by lock
  private final ResyncLoop resync;
  private final TrafficListener listener;

  IptablesTrafficManager(TrafficOptions options, TrafficListener listener) {
    this.options = options;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.runner = new CommandRunner(options.commandPrefix(), options.commandTimeout());
    this.v4 = new IptablesTool(Family.IPV4, options, runner);
    this.v6 = new IptablesTool(Family.IPV6, options, runner);
    this.resync = new ResyncLoop("iptables", options.resyncPeriod(), this::resyncAll);
  }

  @Override
  public void setupMasqRules(MasqSpec spec) throws TrafficException {
    checkOpen();
    lock.lock();
    try {
      recycleMasqRules(spec);
      if (spec.ipv4Enabled()) {
        log.info("Setting up masking rules");
        install("masq " + Family.IPV4, v4,
            IptablesRules.masqRules(spec.network(), spec.lease(), randomFully(v4)));
      }
      if (spec.ipv6Enabled()) {
        log.info("Setting up masking rules for IPv6");
        install("masq " + Family.IPV6, v6,
            IptablesRules.masqRules6(spec.ipv6Network().get(), spec.ipv6Lease().get(), randomFully(v6)));
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
      // flannel skips a family whose network is empty (0.0.0.0/0, ::/0): "accept everything" is not meant.
      Optional<? extends IpNet> net4 = spec.network().filter(n -> !n.isEmpty());
      Optional<? extends IpNet> net6 = spec.ipv6Network().filter(n -> !n.isEmpty());
      if (net4.isPresent()) {
        log.info("Setting up forward rules for {}", net4.get());
        install("forward " + Family.IPV4, v4, IptablesRules.forwardRules(net4.get()));
      }
      if (net6.isPresent()) {
        log.info("Setting up forward rules for {}", net6.get());
        install("forward " + Family.IPV6, v6, IptablesRules.forwardRules(net6.get()));
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * flannel's {@code CleanUp}, made thorough: per family, every rule jumping to
   * {@code FLANNEL-POSTRTG} or {@code FLANNEL-FWD} is deleted, then the chain is flushed and
   * deleted, in one {@code iptables-restore} per table. flanneld's own clears {@code nat
   * FLANNEL-POSTRTG} and {@code nat FLANNEL-FWD}: its {@code -X} fails while the POSTROUTING jump
   * still points at the chain, and its forward chain lives in {@code filter}, so it leaves both
   * behind; the chains it names are all covered here.
   */
  @Override
  public void removeRules() throws TrafficException {
    checkOpen();
    lock.lock();
    try {
      kept.clear();
      for (IptablesTool tool : List.of(v4, v6)) {
        if (!tool.installed()) {
          log.info("{} is not installed, so there are no {} iptables rules to clean up", tool.family().command,
              tool.family());
          continue;
        }
        log.info("Cleaning-up {} iptables rules...", tool.family());
        removeChains(tool, "nat", List.of(IptablesRules.MASQ_CHAIN, IptablesRules.FORWARD_CHAIN));
        removeChains(tool, "filter", List.of(IptablesRules.FORWARD_CHAIN));
      }
    } finally {
      lock.unlock();
    }
  }

  private static void removeChains(IptablesTool tool, String table, List<String> chains) throws TrafficException {
    List<String> present = new ArrayList<>();
    for (String chain : chains) {
      if (tool.chainExists(table, chain)) {
        present.add(chain);
      }
    }
    if (present.isEmpty()) {
      return;
    }
    StringBuilder payload = new StringBuilder("*").append(table).append('\n');
    // A chain that a rule still jumps to cannot be deleted: the jumps go first, wherever they are.
    for (String line : tool.listRules(table)) {
      String target = line.substring(line.lastIndexOf(' ') + 1);
      if (line.contains(" -j ") && present.contains(target) && !present.contains(chainOf(line))) {
        payload.append("-D").append(line.substring(2)).append('\n');
      }
    }
    for (String chain : present) {
      payload.append(':').append(chain).append(" - [0:0]\n");  // --noflush: this flushes it
      payload.append("-X ").append(chain).append('\n');
    }
    payload.append("COMMIT\n");
    log.debug("{}-restore --noflush <<EOF\n{}EOF", tool.family(), payload);
    tool.restore(payload.toString());
    log.info("Removed {} {} chains {} and the rules jumping to them", tool.family(), table, present);
  }

  /** The chain of an {@code iptables -S} line {@code -A CHAIN ...}. */
  private static String chainOf(String line) {
    String[] words = line.split(" ", 3);
    return words.length > 1 ? words[1] : "";
  }

  /**
   * The recycle step alone (package-private so the kernel test can observe it): per family, if the
   * previous network or lease differ from the current ones, delete the masquerade rules built from
   * the previous values.
   */
  void recycleMasqRules(MasqSpec spec) throws TrafficException {
    lock.lock();
    try {
      if (spec.ipv4Enabled()) {
        recycle(v4, spec.network(), spec.lease(), spec.previousNetwork(), spec.previousLease(),
            IptablesRules::masqRules);
      }
      if (spec.ipv6Enabled()) {
        recycle(v6, spec.ipv6Network().get(), spec.ipv6Lease().get(), spec.previousIpv6Network(),
            spec.previousIpv6Lease(), IptablesRules::masqRules6);
      }
    } finally {
      lock.unlock();
    }
  }

  private <N extends IpNet> void recycle(IptablesTool tool, N network, N lease, Optional<N> previousNetwork,
      Optional<N> previousLease, MasqRenderer<N> renderer) throws TrafficException {
    // flanneld compares against 0.0.0.0/0 when subnet.env had no value and then tries to delete
    // rules built from 0.0.0.0/0, which it never installs: without both values there is nothing to recycle.
    if (previousNetwork.isEmpty() || previousLease.isEmpty()) {
      return;
    }
    N prevNet = previousNetwork.get();
    N prevLease = previousLease.get();
    if (network.equals(prevNet) && lease.equals(prevLease)) {
      return;
    }
    log.info("Current network or subnet ({}, {}) is not equal to previous one ({}, {}), trying to recycle old "
        + "iptables rules", network, lease, prevNet, prevLease);
    // The previous run may have had the other --random-fully setting: delete both renderings.
    Set<Rule> old = new LinkedHashSet<>(renderer.render(prevNet, prevLease, false));
    if (tool.supportsRandomFully()) {
      old.addAll(renderer.render(prevNet, prevLease, true));
    }
    List<Rule> present = new ArrayList<>();
    Set<String> missingChains = missingChains(tool, old);
    for (Rule rule : old) {
      if (mayExist(rule, missingChains) && tool.exists(rule)) {
        present.add(rule);
      }
    }
    if (!present.isEmpty()) {
      tool.restore(IptablesRules.deletePayload(present));
      log.info("Deleted {} {} rules of the previous network/lease: {}", present.size(), tool.family(), present);
    }
  }

  private void install(String name, IptablesTool tool, List<Rule> rules) throws TrafficException {
    // flanneld clears its chain before the first bootstrap (CreateIP4Chain); declaring the chain in
    // the restore payload does the same atomically, so traffic never sees a half-built chain.
    bootstrap(tool, rules, true);
    kept.put(name, new KeptSet(name, tool, rules));
    log.info("bootstrap done: {} rules", name);
  }

  /** flannel's {@code ipTablesBootstrap}: delete each present rule, re-append all, in one restore. */
  private void bootstrap(IptablesTool tool, List<Rule> rules, boolean flushOwnChains) throws TrafficException {
    Set<String> missingChains = missingChains(tool, rules);
    Set<String> reset = flushOwnChains ? IptablesRules.ownChains(rules) : missingChains;
    Set<Rule> present = new HashSet<>();
    for (Rule rule : rules) {
      if (!reset.contains(rule.chain()) && mayExist(rule, missingChains) && tool.exists(rule)) {
        present.add(rule);
      }
    }
    String payload = IptablesRules.restorePayload(rules, present, reset);
    log.debug("{}-restore --noflush <<EOF\n{}EOF", tool.family(), payload);
    tool.restore(payload);
  }

  /** flannel's {@code ipTablesRulesExist}, but reporting every missing rule rather than the first. */
  private List<Rule> missingRules(IptablesTool tool, List<Rule> rules) throws TrafficException {
    Set<String> missingChains = missingChains(tool, rules);
    List<Rule> missing = new ArrayList<>();
    for (Rule rule : rules) {
      if (!mayExist(rule, missingChains) || !tool.exists(rule)) {
        missing.add(rule);
      }
    }
    return missing;
  }

  private static Set<String> missingChains(IptablesTool tool, Set<Rule> rules) throws TrafficException {
    return missingChains(tool, List.copyOf(rules));
  }

  private static Set<String> missingChains(IptablesTool tool, List<Rule> rules) throws TrafficException {
    Map<String, String> tableOf = new LinkedHashMap<>();
    for (Rule rule : rules) {
      if (!rule.inBuiltinChain()) {
        tableOf.putIfAbsent(rule.chain(), rule.table());
      }
    }
    Set<String> missing = new HashSet<>();
    for (Map.Entry<String, String> e : tableOf.entrySet()) {
      if (!tool.chainExists(e.getValue(), e.getKey())) {
        missing.add(e.getKey());
      }
    }
    return missing;
  }

  // A rule in, or jumping to, a chain that does not exist cannot exist; `iptables -C` would fail
  // with "Couldn't load target" (exit 2) for the jump rather than say "no".
  private static boolean mayExist(Rule rule, Set<String> missingChains) {
    return !missingChains.contains(rule.chain())
        && rule.jumpTarget().map(t -> !missingChains.contains(t)).orElse(true);
  }

  private boolean randomFully(IptablesTool tool) throws TrafficException {
    return options.randomFully() && tool.supportsRandomFully();
  }

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
      for (KeptSet set : List.copyOf(kept.values())) {
        if (resync.isClosed()) {
          return;
        }
        try {
          List<Rule> missing = missingRules(set.tool(), set.rules());
          if (!missing.isEmpty()) {
            log.info("Some iptables rules are missing ({}); deleting and recreating rules", set.name());
            bootstrap(set.tool(), set.rules(), false);
            log.info("Restored {} rules, the missing ones were: {}", set.name(), missing);
            tell(() -> listener.onRestored(set.name(), missing.size()));
          }
        } catch (TrafficException e) {
          if (resync.isClosed()) {
            return;  // the command was killed by close(): not a failure
          }
          log.warn("Failed to ensure {} iptables rules, retrying in {} ms: {}", set.name(),
              options.resyncPeriod().toMillis(), e.getMessage());
          tell(() -> listener.onResyncFailed(set.name(), e));
        } catch (RuntimeException e) {
          // A periodic task that throws is never run again: log and keep the loop alive.
          log.error("Unexpected failure ensuring {} iptables rules", set.name(), e);
        }
      }
    } finally {
      lock.unlock();
    }
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
