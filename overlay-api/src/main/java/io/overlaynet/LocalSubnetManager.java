package io.overlaynet;

import io.overlaynet.impl.Backoff;
import io.overlaynet.impl.RetryLog;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's etcd lease model ({@code pkg/subnet/etcd/local_manager.go}) over any {@link Store}.
 *
 * <p>Internal: obtain one through {@link SubnetManager#overStore}.
 *
 * <p>Where flannel is wrong for users this class is not: a lost allocation race tries another
 * subnet instead of exiting, every event of a store batch is delivered, a compaction leads to a
 * re-list and a diff, and a malformed lease is skipped without disturbing the others.
 */
final class LocalSubnetManager implements SubnetManager {

  private static final Logger log = LoggerFactory.getLogger(LocalSubnetManager.class);

  /** flannel picks at random among at most this many free subnets (local_manager.go). */
  private static final int MAX_CANDIDATES = 100;
  /** Each lost race means another node won a subnet, so this only bounds pathological churn. */
  private static final int MAX_ATTEMPTS = 1000;
  /** The longest wait between attempts to re-list or re-watch an unreachable store. */
  private static final Duration MAX_RESYNC_BACKOFF = Duration.ofSeconds(10);

  private final Store store;
  private final SubnetManagerOptions options;
  private final String configKey;
  private final String subnetsPrefix;
  private final Random random = new SecureRandom();
  private final Clock clock = Clock.systemUTC();
  private final ScheduledExecutorService scheduler;
  private final Set<SubnetManager.LeaseWatch> running = ConcurrentHashMap.newKeySet();

  /** Creates a manager; reached through {@link SubnetManager#overStore}. */
  LocalSubnetManager(Store store, SubnetManagerOptions options) {
    this.store = Objects.requireNonNull(store, "store");
    this.options = Objects.requireNonNull(options, "options");
    this.configKey = options.prefix() + "/config";
    this.subnetsPrefix = options.prefix() + "/subnets/";
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "overlaynet-subnet-manager");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public NetworkConfig networkConfig() {
    KeyValue kv = store.get(configKey).orElseThrow(() -> new NetworkConfigNotFoundException(configKey));
    return NetworkConfig.parse(kv.value());
  }

  @Override
  public Lease acquireLease(LeaseAttrs attrs) {
    Objects.requireNonNull(attrs, "attrs");
    NetworkConfig config = networkConfig();
    if (config.enableIpv4()) {
      log.info("Picking subnet in range {} ... {}", config.subnetMin(), config.subnetMax());
    }
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      Map<String, Lease> leases = parseAll(store.list(subnetsPrefix).entries());

      Optional<Lease> mine = reuseOwnLease(config, attrs, leases);
      if (mine.isPresent()) {
        return mine.get();
      }
      Optional<Lease> previous = tryPreviousSubnet(config, attrs, leases.values());
      if (previous.isPresent()) {
        return previous.get();
      }
      Ip4Net subnet = config.enableIpv4() ? pickIpv4(config, leases.values()) : Ip4Net.EMPTY;
      Optional<Ip6Net> subnet6 = config.enableIpv6()
          ? Optional.of(pickIpv6(config, leases.values())) : Optional.empty();
      Optional<Lease> created = tryCreate(subnet, subnet6, attrs);
      if (created.isPresent()) {
        log.info("Allocated lease (ip: {} ipv6: {}) to current node ({})", subnet,
            subnet6.map(Object::toString).orElse("::/0"), publicAddress(attrs));
        return created.get();
      }
      // flanneld exits here ("subnet already exists"); another node won this subnet, so try again.
      log.info("Subnet {} was taken by another node meanwhile, trying another (attempt {})", subnet, attempt);
      sleepQuietly(random.nextInt(20));
    }
    throw new LeaseException("gave up acquiring a lease after " + MAX_ATTEMPTS + " lost allocation races");
  }

  private Optional<Lease> reuseOwnLease(NetworkConfig config, LeaseAttrs attrs, Map<String, Lease> leases) {
    if (attrs.publicIp().isUnspecified() && attrs.publicIpv6().isEmpty()) {
      return Optional.empty();
    }
    for (Map.Entry<String, Lease> e : leases.entrySet()) {
      Lease lease = e.getValue();
      if (!samePublicAddress(lease.attrs(), attrs)) {
        continue;
      }
      if (isCompatible(config, lease)) {
        Lease renewed = write(new Lease(lease.subnet(), lease.ipv6Subnet(), attrs, Optional.empty()));
        log.info("Found lease (ip: {} ipv6: {}) for current IP ({}), reusing", lease.subnet(),
            lease.ipv6Subnet().map(Object::toString).orElse("::/0"), publicAddress(attrs));
        return Optional.of(renewed);
      }
      // The config changed under the lease: free it so the subnet can be chosen afresh.
      log.info("Found lease ({}) for current IP ({}) but it is not compatible with the network config, deleting it",
          lease.subnet(), publicAddress(attrs));
      store.delete(e.getKey());
      leases.remove(e.getKey());
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * Whether a lease was written by the node with these attributes: the same public IPv4 address,
   * or the same public IPv6 address (for an IPv6-only node, whose public IP is {@code 0.0.0.0},
   * the only one). flanneld
   * compares the IPv4 address only, so every IPv6-only node takes the first one's lease (B12).
   */
  static boolean samePublicAddress(LeaseAttrs lease, LeaseAttrs node) {
    if (!node.publicIp().isUnspecified() && lease.publicIp().equals(node.publicIp())) {
      return true;
    }
    // The same public IPv6 address: this node, also when its families changed (an IPv6-only lease
    // of a now dual-stack node, or the reverse), so that the compatibility check frees the old one.
    return node.publicIpv6().isPresent() && lease.publicIpv6().equals(node.publicIpv6());
  }

  /** The address that names a node in logs: its public IPv4, or IPv6 for an IPv6-only node. */
  static String publicAddress(LeaseAttrs attrs) {
    return attrs.publicIp().isUnspecified() && attrs.publicIpv6().isPresent()
        ? attrs.publicIpv6().get().toString() : attrs.publicIp().toString();
  }

  private Optional<Lease> tryPreviousSubnet(NetworkConfig config, LeaseAttrs attrs, Collection<Lease> leases) {
    if (!config.enableIpv4()) {
      return tryPreviousIpv6Subnet(config, attrs, leases);
    }
    Optional<Ip4Net> prev = options.previousSubnet();
    if (prev.isEmpty()) {
      return Optional.empty();
    }
    Ip4Net subnet = prev.get();
    if (!config.isCompatible(subnet)) {
      log.info("Found previously leased subnet ({}), but it is not compatible with the network config, ignoring",
          subnet);
      return Optional.empty();
    }
    Optional<Ip6Net> subnet6 = Optional.empty();
    if (config.enableIpv6()) {
      Optional<Ip6Net> prev6 = options.previousIpv6Subnet().filter(config::isCompatible);
      if (prev6.isEmpty() || leases.stream().anyMatch(l -> l.ipv6Subnet().map(s -> s.overlaps(prev6.get()))
          .orElse(false))) {
        return Optional.empty();
      }
      subnet6 = prev6;
    }
    if (leases.stream().anyMatch(l -> holdsIpv4(l, subnet))) {
      // Someone else holds it now (flannel issues #805, #1289): never reuse a held subnet.
      log.info("Previously leased subnet ({}) is held by another node, not reusing it", subnet);
      return Optional.empty();
    }
    Optional<Lease> created = tryCreate(subnet, subnet6, attrs);
    created.ifPresent(l -> log.info("Found previously leased subnet ({}), reusing", subnet));
    return created;
  }

  /** IPv6-only: {@code FLANNEL_IPV6_SUBNET} of the previous run, if it fits the config and is free. */
  private Optional<Lease> tryPreviousIpv6Subnet(NetworkConfig config, LeaseAttrs attrs, Collection<Lease> leases) {
    Optional<Ip6Net> prev6 = options.previousIpv6Subnet();
    if (prev6.isEmpty() || !config.enableIpv6()) {
      return Optional.empty();
    }
    Ip6Net subnet6 = prev6.get();
    if (!config.isCompatible(subnet6)) {
      log.info("Found previously leased IPv6 subnet ({}), but it is not compatible with the network config, ignoring",
          subnet6);
      return Optional.empty();
    }
    if (leases.stream().anyMatch(l -> l.ipv6Subnet().map(s -> s.overlaps(subnet6)).orElse(false))) {
      log.info("Previously leased IPv6 subnet ({}) is held by another node, not reusing it", subnet6);
      return Optional.empty();
    }
    Optional<Lease> created = tryCreate(Ip4Net.EMPTY, prev6, attrs);
    created.ifPresent(l -> log.info("Found previously leased IPv6 subnet ({}), reusing", subnet6));
    return created;
  }

  /**
   * Whether {@code l} holds IPv4 addresses of {@code subnet}. An IPv6-only lease (left by an
   * earlier IPv6-only config) has the empty IPv4 subnet, 0.0.0.0/0, which holds none.
   */
  private static boolean holdsIpv4(Lease l, Ip4Net subnet) {
    return !l.subnet().isEmpty() && l.subnet().overlaps(subnet);
  }

  private Ip4Net pickIpv4(NetworkConfig config, Collection<Lease> leases) {
    List<Ip4Net> free = new ArrayList<>();
    Ip4Net candidate = Ip4Net.of(config.subnetMin(), config.subnetLen());
    while (candidate.address().compareTo(config.subnetMax()) <= 0 && free.size() < MAX_CANDIDATES) {
      Ip4Net c = candidate;
      if (leases.stream().noneMatch(l -> holdsIpv4(l, c))) {
        free.add(c);
      }
      Ip4Net next = candidate.next();
      if (next.address().compareTo(candidate.address()) <= 0) {
        break; // wrapped past 255.255.255.255
      }
      candidate = next;
    }
    if (free.isEmpty()) {
      throw new LeaseException("out of subnets: every /" + config.subnetLen() + " in " + config.subnetMin()
          + " ... " + config.subnetMax() + " of " + config.network() + " is leased");
    }
    return free.get(random.nextInt(free.size()));
  }

  private Ip6Net pickIpv6(NetworkConfig config, Collection<Lease> leases) {
    List<Ip6Net> free = new ArrayList<>();
    Ip6Net candidate = Ip6Net.of(config.ipv6SubnetMin(), config.ipv6SubnetLen());
    Ip6 max = config.ipv6SubnetMax();
    while (candidate.address().compareTo(max) <= 0 && free.size() < MAX_CANDIDATES) {
      Ip6Net c = candidate;
      if (leases.stream().noneMatch(l -> l.ipv6Subnet().map(s -> s.overlaps(c)).orElse(false))) {
        free.add(c);
      }
      Ip6Net next = candidate.next();
      if (next.address().compareTo(candidate.address()) <= 0) {
        break;
      }
      candidate = next;
    }
    if (free.isEmpty()) {
      throw new LeaseException("out of subnets: every /" + config.ipv6SubnetLen() + " in " + config.ipv6SubnetMin()
          + " ... " + max + " of " + config.ipv6Network() + " is leased");
    }
    return free.get(random.nextInt(free.size()));
  }

  private static boolean isCompatible(NetworkConfig config, Lease lease) {
    boolean v4 = config.enableIpv4() ? config.isCompatible(lease.subnet()) : lease.subnet().isEmpty();
    boolean v6 = config.enableIpv6()
        ? lease.ipv6Subnet().map(config::isCompatible).orElse(false)
        : lease.ipv6Subnet().isEmpty();
    return v4 && v6;
  }

  private Optional<Lease> tryCreate(Ip4Net subnet, Optional<Ip6Net> subnet6, LeaseAttrs attrs) {
    Lease lease = new Lease(subnet, subnet6, attrs, Optional.empty());
    Instant expiration = clock.instant().plus(options.leaseTtl());
    Optional<Long> rev = store.create(subnetsPrefix + lease.key(), LeaseCodec.toJson(attrs), options.leaseTtl());
    return rev.map(r -> lease.withExpiration(expiration));
  }

  private Lease write(Lease lease) {
    Instant expiration = clock.instant().plus(options.leaseTtl());
    store.put(subnetsPrefix + lease.key(), LeaseCodec.toJson(lease.attrs()), options.leaseTtl());
    return lease.withExpiration(expiration);
  }

  @Override
  public Lease renewLease(Lease lease) {
    // flannel renews by granting a fresh 24 h lease and putting the key again (RenewLease).
    return write(lease);
  }

  /** Parses the subnet entries of a listing, skipping (with a warning) any that are malformed. */
  private Map<String, Lease> parseAll(List<KeyValue> entries) {
    Map<String, Lease> out = new LinkedHashMap<>();
    for (KeyValue kv : entries) {
      parse(kv.key(), kv.value()).ifPresent(l -> out.put(kv.key(), l));
    }
    return out;
  }

  private Optional<Lease> parse(String key, String value) {
    try {
      LeaseCodec.SubnetKey sk = LeaseCodec.parseSubnetKey(key.substring(subnetsPrefix.length()));
      return Optional.of(new Lease(sk.subnet(), sk.ipv6Subnet(), LeaseCodec.parseAttrs(value), Optional.empty()));
    } catch (IllegalArgumentException e) {
      log.warn("Ignoring bad subnet node {}: {}", key, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public SubnetManager.LeaseWatch watchLeases(LeaseListener listener) {
    LeasesWatch w = new LeasesWatch(Objects.requireNonNull(listener, "listener"));
    running.add(w);
    try {
      w.start();
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
    return w;
  }

  @Override
  public SubnetManager.LeaseWatch keepLease(Lease lease, LeaseKeeperListener listener) {
    Keeper k = new Keeper(lease, Objects.requireNonNull(listener, "listener"));
    running.add(k);
    try {
      k.start();
    } catch (RuntimeException e) {
      k.close();
      throw e;
    }
    return k;
  }

  @Override
  public void close() {
    for (SubnetManager.LeaseWatch w : List.copyOf(running)) {
      w.close();
    }
    scheduler.shutdownNow();
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LeaseException("interrupted while acquiring a lease", e);
    }
  }

  /**
   * Schedules {@code task} on the manager's thread after {@code delayMillis}, unless {@code closed}
   * says the watch or keeper it belongs to is over. A task that throws is logged, never lost
   * silently inside a future nobody reads; {@code onFailure} then keeps the state machine going.
   */
  private void later(BooleanSupplier closed, Runnable task, long delayMillis, Runnable onFailure) {
    if (closed.getAsBoolean()) {
      return;
    }
    try {
      scheduler.schedule(() -> {
        if (closed.getAsBoolean()) {
          return;
        }
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("Internal error in the subnet manager; recovering", e);
          onFailure.run();
        }
      }, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The manager is closing.
    }
  }

  /** Calls a listener; what it throws is logged and does not stop the caller's state machine. */
  private static void safely(String what, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.error("The {} listener failed; carrying on", what, e);
    }
  }

  /**
   * Supervision of a watch the store may end: a jittered back-off that grows while the watch keeps
   * ending soon after it was opened, and a limit on such endings. A watch that lived a minute
   * starts both afresh. Confined to the scheduler thread.
   */
  private static final class WatchRetry {
    /** A watch the store ends this many times in a row, each soon after it was opened, is given up. */
    static final int MAX_ENDINGS = 5;
    /** A watch that lived this long before it ended is not counted against it. */
    static final long HEALTHY_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Backoff backoff = new Backoff(Duration.ofMillis(100), MAX_RESYNC_BACKOFF);
    private long openedAt = System.nanoTime();
    private int endings;

    /** The watch is open (again). */
    void opened() {
      openedAt = System.nanoTime();
    }

    /** The store ended the watch; returns false once it has done so too often: give up. */
    boolean ended() {
      if (System.nanoTime() - openedAt > HEALTHY_NANOS) {
        endings = 0;
        backoff.reset();
      }
      return ++endings <= MAX_ENDINGS;
    }

    /** Returns the wait before the next attempt; it grows until a watch stays open a while. */
    long nextMillis() {
      return backoff.nextMillis();
    }
  }

  /**
   * The watch of all leases: snapshot, events, and a re-list with a new snapshot whenever the
   * store's watch cannot go on by itself (compaction, or a watch the store ended).
   *
   * <p>Why re-list instead of reporting the error: an agent whose watch ended would otherwise run
   * on with whatever it had, blind to every node that comes or goes. Only an error that re-listing
   * shares (authentication refused, store closed), or a store that keeps ending the watch as soon
   * as it is opened, ends the watch, through {@link LeaseListener#onError}; an unreachable store is
   * retried with back-off for as long as it takes. Re-lists run on the manager's scheduler thread,
   * never on the store's delivery thread. Every listener call happens under this object's lock,
   * which {@link #close()} takes: no callback starts after close returns.
   */
  private final class LeasesWatch implements SubnetManager.LeaseWatch, Store.WatchListener {
    private final LeaseListener listener;
    /** Store key to the last valid lease seen there; guarded by this. */
    private Map<String, Lease> known = new LinkedHashMap<>();
    private Store.Watch current;
    private volatile boolean closed;
    /** Whether the listener was told of the outage that the next snapshot ends; guarded by this. */
    private boolean interrupted;
    // Scheduler thread only:
    private final WatchRetry retry = new WatchRetry();
    private final RetryLog retryLog = new RetryLog(log, "Re-listing leases");

    LeasesWatch(LeaseListener listener) {
      this.listener = listener;
    }

    void start() {
      Listing listing = store.list(subnetsPrefix);
      synchronized (this) {
        known = parseAll(listing.entries());
        current = store.watch(subnetsPrefix, listing.revision() + 1, this);
        // Events the new watch delivers wait for this lock: they arrive after the snapshot.
        List<Lease> snapshot = List.copyOf(known.values());
        safely("lease", () -> listener.onSnapshot(snapshot));
      }
    }

    @Override
    public void onEvents(List<StoreEvent> events) {
      List<LeaseEvent> out = new ArrayList<>();
      synchronized (this) {
        if (closed) {
          return;
        }
        for (StoreEvent e : events) {
          if (e.type() == StoreEvent.Type.PUT) {
            // A malformed value leaves whatever we knew for that key alone.
            parse(e.key(), e.value()).ifPresent(lease -> {
              known.put(e.key(), lease);
              out.add(LeaseEvent.added(lease));
            });
          } else {
            Lease gone = known.remove(e.key());
            if (gone != null) {
              out.add(LeaseEvent.removed(gone));
            }
          }
        }
        if (!out.isEmpty()) {
          safely("lease", () -> listener.onEvents(out));
        }
      }
    }

    @Override
    public void onCompacted(long compactRevision) {
      // The store no longer has the history we need: events may have been missed.
      log.warn("Lease watch fell behind a store compaction (revision {}); re-listing", compactRevision);
      schedule(this::relist, 0);
    }

    @Override
    public void onError(Throwable error) {
      schedule(() -> {
        if (!retry.ended()) {
          fail(new StoreException("the store ended the lease watch " + WatchRetry.MAX_ENDINGS
              + " times in a row right after it was set up: " + error.getMessage(), error));
          return;
        }
        long delay = retry.nextMillis();
        log.warn("Lease watch ended ({}); re-listing and watching again in {} ms", error.getMessage(), delay);
        interrupted(error);
        schedule(this::relist, delay);
      }, 0);
    }

    private void schedule(Runnable task, long delayMillis) {
      // An internal error must not leave the node blind: re-list after a pause.
      later(() -> closed, task, delayMillis, () -> schedule(this::relist, 1000));
    }

    /** Lists every lease, watches from the listing on and hands the listener a new snapshot. */
    private void relist() {
      Listing listing;
      try {
        listing = store.list(subnetsPrefix);
      } catch (StoreUnavailableException e) {
        relistLater(e);
        return;
      } catch (StoreException e) {
        fail(e);
        return;
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        try {
          current = store.watch(subnetsPrefix, listing.revision() + 1, this);
        } catch (StoreUnavailableException e) {
          relistLater(e);
          return;
        } catch (StoreException e) {
          fail(e);
          return;
        }
        retry.opened();
        retryLog.recovered();
        interrupted = false;
        Map<String, Lease> fresh = parseAll(listing.entries());
        long changes = fresh.entrySet().stream().filter(e -> !e.getValue().equals(known.get(e.getKey()))).count()
            + known.keySet().stream().filter(k -> !fresh.containsKey(k)).count();
        known = fresh;
        log.info("Re-listed {} leases: {} changed meanwhile", fresh.size(), changes);
        List<Lease> snapshot = List.copyOf(fresh.values());
        safely("lease", () -> listener.onSnapshot(snapshot));
      }
    }

    /** Tells the listener, once per outage, that changes may be missed until the next snapshot. */
    private void interrupted(Throwable error) {
      synchronized (this) {
        if (!closed && !interrupted) {
          interrupted = true;
          safely("lease", () -> listener.onWatchInterrupted(error));
        }
      }
    }

    private void relistLater(StoreException e) {
      interrupted(e);
      long delay = retry.nextMillis();
      retryLog.failed(e, delay);
      schedule(this::relist, delay);
    }

    /** Ends the watch for good and says why (the last callback). */
    private void fail(StoreException e) {
      Store.Watch w;
      synchronized (this) {
        if (closed) {
          return;
        }
        log.error("Lease watch ended for good: {}", e.getMessage());
        closed = true;
        w = current;
        safely("lease", () -> listener.onError(e));
      }
      end(w);
    }

    @Override
    public void close() {
      Store.Watch w;
      synchronized (this) {
        closed = true;
        w = current;
      }
      end(w);
    }

    /** Outside the lock: closing the store's watch waits for a delivery, which may wait for the lock. */
    private void end(Store.Watch w) {
      if (w != null) {
        w.close();
      }
      running.remove(this);
    }
  }

  /**
   * Renews this node's lease before it expires and watches its key.
   *
   * <p>Every step runs on the manager's single scheduler thread, so renewal, re-assertion and
   * re-watching never race; the store's watch callbacks only post work there. An event only says
   * "look again": what the keeper does is decided by the key's value at that moment, so an old
   * event (delivered late after a partition) cannot make it give up a lease it holds.
   *
   * <p>Why not stop when the key goes away, as flanneld does ("Lease has been revoked"): a node cut
   * off from etcd for longer than the TTL would then take its whole data plane down the moment
   * etcd answers again, although its subnet is usually still free. So a deleted or expired key is
   * created again (create-if-absent, so a node that took the subnet meanwhile keeps it; never a
   * blind put once the key is known to be gone), and a key overwritten with this node's public IP
   * (stale backend data, another writer) is written back, with back-off: two agents claiming one
   * public IP would otherwise overwrite each other in a tight loop, so after a few write-backs the
   * keeper gives up and says why. Only a subnet held by another node is lost.
   *
   * <p>Listener calls happen under {@link #callbacks}, which {@link #close()} takes: no callback
   * starts after close returns.
   */
  private final class Keeper implements SubnetManager.LeaseWatch, Store.WatchListener {
    /** Write-backs within {@link #WRITE_BACK_WINDOW} before the keeper gives up (one is the normal case). */
    private static final int MAX_WRITE_BACKS = 3;
    private static final long WRITE_BACK_WINDOW = TimeUnit.MINUTES.toNanos(10);

    private final LeaseKeeperListener listener;
    private final String key;
    /** Our value, as the store holds it, and its attributes normalised by a parse. */
    private final String value;
    private final LeaseAttrs attrs;
    private final Object callbacks = new Object();
    private volatile Lease lease;
    private volatile boolean closed;
    /** Guarded by {@link #callbacks}. */
    private Store.Watch watch;
    private volatile ScheduledFuture<?> timer;
    // Scheduler thread only:
    /** The key is known to be gone: the next attempt creates it, never puts it blindly. */
    private boolean missing;
    private final Backoff renewBackoff;
    private final RetryLog renewLog = new RetryLog(log, "Renewing the lease");
    private final WatchRetry watchRetry = new WatchRetry();
    private final RetryLog watchLog = new RetryLog(log, "Watching the own lease");
    private final Backoff writeBackBackoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1));
    private int writeBacks;
    private long writeBackWindowStart;

    Keeper(Lease lease, LeaseKeeperListener listener) {
      this.lease = lease;
      this.listener = listener;
      this.key = subnetsPrefix + lease.key();
      this.value = LeaseCodec.toJson(lease.attrs());
      this.attrs = LeaseCodec.parseAttrs(value);
      Duration max = options.renewRetryDelay();
      this.renewBackoff = new Backoff(Duration.ofMillis(Math.min(1000, max.toMillis())), max);
    }

    void start() {
      // The first look happens here, on the caller's thread: a store that cannot answer fails
      // keepLease, as the first listing fails watchLeases.
      Listing listing = store.list(key);
      post(() -> {
        scheduleRenewal();
        afterListing(listing);
      }, 0);
    }

    private void post(Runnable task, long delayMillis) {
      // An internal error must not stop the keeper silently: look at the key again after a pause.
      later(() -> closed, task, delayMillis, () -> post(this::inspect, 1000));
    }

    /** Calls the listener unless the keeper is closed. */
    private void tell(java.util.function.Consumer<LeaseKeeperListener> call) {
      synchronized (callbacks) {
        if (!closed) {
          safely("lease keeper", () -> call.accept(listener));
        }
      }
    }

    private boolean isOurs(String found) {
      try {
        return attrs.equals(LeaseCodec.parseAttrs(found));
      } catch (IllegalArgumentException e) {
        return false;
      }
    }

    /** Looks at the key as listed, then watches it from the listing's revision on. */
    private void afterListing(Listing listing) {
      Optional<KeyValue> kv = listing.entries().stream().filter(e -> e.key().equals(key)).findFirst();
      if (kv.isEmpty()) {
        missing = true;
        reassert("missing from the store");
      } else if (!isOurs(kv.get().value())) {
        inspect();
      }
      try {
        Store.Watch w = store.watch(key, listing.revision() + 1, this);
        synchronized (callbacks) {
          if (closed) {
            w.close(); // closed meanwhile: close() did not see this watch
            return;
          }
          watch = w;
        }
        watchRetry.opened();
        watchLog.recovered();
      } catch (StoreUnavailableException e) {
        rewatchLater(e);
      } catch (StoreException e) {
        fail(e);
      }
    }

    /** Lists the key again and watches it; with back-off while the store cannot answer. */
    private void rewatch() {
      Listing listing;
      try {
        listing = store.list(key);
      } catch (StoreUnavailableException e) {
        rewatchLater(e);
        return;
      } catch (StoreException e) {
        fail(e);
        return;
      }
      afterListing(listing);
    }

    private void rewatchLater(StoreException e) {
      long delay = watchRetry.nextMillis();
      watchLog.failed(e, delay);
      post(this::rewatch, delay);
    }

    private void scheduleRenewal() {
      Optional<Instant> expiration = lease.expiration();
      if (expiration.isEmpty()) {
        setTimer(0);
        return;
      }
      Duration left = Duration.between(clock.instant(), expiration.get());
      Duration wait = left.minus(options.renewMargin());
      // A margin close to the TTL must not turn renewal into a busy loop; but a lease with less
      // than the floor left (an aged one, after an outage) is renewed within half its time left.
      Duration floor = options.leaseTtl().dividedBy(10);
      if (wait.compareTo(floor) < 0) {
        Duration half = left.dividedBy(2);
        wait = floor.compareTo(half) < 0 ? floor : half;
      }
      if (wait.isNegative()) {
        wait = Duration.ZERO;
      }
      log.info("Waiting for {} to renew lease", wait);
      setTimer(wait.toMillis());
    }

    private void setTimer(long delayMillis) {
      ScheduledFuture<?> old = timer;
      if (old != null) {
        old.cancel(false);
      }
      if (closed) {
        return;
      }
      try {
        timer = scheduler.schedule(() -> {
          if (closed) {
            return;
          }
          try {
            renew();
          } catch (RuntimeException e) {
            log.error("Internal error renewing the lease; trying again in 1 s", e);
            setTimer(1000);
          }
        }, delayMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // The manager is closing.
      }
    }

    private void renew() {
      boolean expired = lease.expiration().map(x -> !clock.instant().isBefore(x)).orElse(false);
      if (missing || expired) {
        // Past its expiry the key is gone from the store (or another node's by now), and a key
        // known to be gone may be another node's: a blind put could overwrite that node's lease.
        reassert(missing ? "deleted or expired in the store" : "expired while the store could not be reached");
        return;
      }
      refresh();
    }

    /** Puts our value under a fresh TTL (flannel's renewal); only when the key is known to be ours. */
    private void refresh() {
      try {
        lease = renewLease(lease);
      } catch (StoreException e) {
        renewFailed(e);
        return;
      }
      renewed();
    }

    /** A write of our value landed: the next renewal is due the margin before the new expiry. */
    private void renewed() {
      renewLog.recovered();
      renewBackoff.reset();
      Lease now = lease;
      tell(l -> l.onRenewed(now));
      scheduleRenewal();
    }

    private void renewFailed(StoreException e) {
      long delay = renewBackoff.nextMillis();
      // Try again at the latest when the lease expires, to take it back as soon as possible.
      Optional<Instant> expiration = lease.expiration();
      if (expiration.isPresent()) {
        long untilExpiry = Duration.between(clock.instant(), expiration.get()).toMillis();
        if (untilExpiry >= 0 && untilExpiry < delay) {
          delay = untilExpiry;
        }
      }
      renewLog.failed(e, delay);
      Instant retryAt = clock.instant().plusMillis(delay);
      tell(l -> l.onRenewFailed(e, retryAt));
      setTimer(delay);
    }

    /** Creates the key again with the same subnet, unless it exists; then looks at whose it is. */
    private void reassert(String why) {
      Instant expiration = clock.instant().plus(options.leaseTtl());
      Optional<Long> rev;
      try {
        rev = store.create(key, value, options.leaseTtl());
      } catch (StoreException e) {
        renewFailed(e); // the timer comes back here: missing is still set
        return;
      }
      if (rev.isPresent()) {
        missing = false;
        lease = lease.withExpiration(expiration);
        log.warn("The lease of {} was {}; re-acquired the same subnet", lease.subnet(), why);
        renewed();
        return;
      }
      // Someone wrote the key between our look and the create: see whose it is now.
      inspect();
    }

    /** Reads the key and acts on what it holds now: missing, ours, ours overwritten, or another node's. */
    private void inspect() {
      Optional<KeyValue> kv;
      try {
        kv = store.get(key);
      } catch (StoreException e) {
        long delay = renewBackoff.nextMillis();
        renewLog.failed(e, delay);
        post(this::inspect, delay);
        return;
      }
      if (kv.isEmpty()) {
        missing = true;
        // As a task of its own: a key that another writer creates and deletes over and over
        // must not make reassert and inspect call each other without end.
        post(() -> reassert("deleted or expired in the store"), 0);
        return;
      }
      missing = false;
      String found = kv.get().value();
      if (isOurs(found)) {
        if (lease.expiration().map(x -> !clock.instant().isBefore(x)).orElse(false)) {
          // Still there past the expiry we counted (etcd re-grants leases on a leader change):
          // renew it now, or it would expire unrenewed.
          refresh();
        } else {
          scheduleRenewal(); // this look may have come instead of a renewal: keep one due
        }
        return;
      }
      LeaseAttrs theirs;
      try {
        theirs = LeaseCodec.parseAttrs(found);
      } catch (IllegalArgumentException e) {
        theirs = null; // garbage in our key: nobody else can claim a subnet with that
      }
      if (theirs != null && !(theirs.publicIp().equals(attrs.publicIp())
          && theirs.publicIpv6().equals(attrs.publicIpv6()))) {
        lost(theirs);
        return;
      }
      writeBack(theirs == null ? "a malformed value" : "other backend data");
    }

    /** Writes our value over one with our public IP, at a pace that cannot turn into a write war. */
    private void writeBack(String what) {
      long now = System.nanoTime();
      if (writeBacks == 0 || now - writeBackWindowStart > WRITE_BACK_WINDOW) {
        writeBacks = 0;
        writeBackWindowStart = now;
        writeBackBackoff.reset();
      }
      if (++writeBacks > MAX_WRITE_BACKS) {
        fail(new StoreException("the lease of " + lease.subnet() + " was overwritten " + MAX_WRITE_BACKS
            + " times in " + TimeUnit.NANOSECONDS.toMinutes(WRITE_BACK_WINDOW) + " min by another writer with this"
            + " node's public IP " + publicAddress(attrs) + ": is another agent running with the same public IP? Give each"
            + " node its own (--public-ip, --public-ipv6, --iface)"));
        return;
      }
      long delay = writeBacks == 1 ? 0 : writeBackBackoff.nextMillis();
      log.warn("The lease of {} was overwritten by another writer ({}); writing this node's value back in {} ms",
          lease.subnet(), what, delay);
      post(() -> {
        // Look again: it may be ours again, gone, or another node's by now.
        Optional<KeyValue> kv;
        try {
          kv = store.get(key);
        } catch (StoreException e) {
          renewFailed(e);
          return;
        }
        if (kv.isPresent() && !isOurs(kv.get().value())) {
          LeaseAttrs theirs = null;
          try {
            theirs = LeaseCodec.parseAttrs(kv.get().value());
          } catch (IllegalArgumentException e) {
            // garbage: ours to overwrite
          }
          if (theirs == null || (theirs.publicIp().equals(attrs.publicIp())
              && theirs.publicIpv6().equals(attrs.publicIpv6()))) {
            refresh();
            return;
          }
        }
        inspect();
      }, delay);
    }

    @Override
    public void onEvents(List<StoreEvent> events) {
      for (StoreEvent e : events) {
        // The watch is a prefix watch: 10.5.2.0-24 also matches 10.5.2.0-24&fd00::-64.
        if (e.key().equals(key) && (e.type() == StoreEvent.Type.DELETE || !isOurs(e.value()))) {
          post(this::inspect, 0);
          return;
        }
      }
    }

    @Override
    public void onCompacted(long compactRevision) {
      post(this::rewatch, 0);
    }

    @Override
    public void onError(Throwable error) {
      post(() -> {
        StoreException e = error instanceof StoreException se ? se : new StoreException(error.toString(), error);
        if (!watchRetry.ended()) {
          fail(new StoreException("the store ended the watch of the own lease " + WatchRetry.MAX_ENDINGS
              + " times in a row right after it was set up: " + e.getMessage(), e));
          return;
        }
        log.warn("The watch of the own lease ended ({}); watching it again", e.getMessage());
        rewatchLater(e);
      }, 0);
    }

    private void lost(LeaseAttrs holder) {
      log.error("Lease has been revoked: {} is now held by the node with public IP {}", lease.subnet(),
          publicAddress(holder));
      Lease gone = lease;
      finish(l -> l.onLost(gone));
    }

    private void fail(StoreException e) {
      log.error("Keeping the lease of {} failed for good: {}", lease.subnet(), e.getMessage());
      finish(l -> l.onFailed(e));
    }

    /** Stops the keeper and makes the last callback (a concurrent close() waits for it). */
    private void finish(java.util.function.Consumer<LeaseKeeperListener> last) {
      synchronized (callbacks) {
        if (closed) {
          return;
        }
        stop();
        safely("lease keeper", () -> last.accept(listener));
      }
    }

    @Override
    public void close() {
      synchronized (callbacks) {
        stop();
      }
    }

    /** Under {@link #callbacks}. */
    private void stop() {
      closed = true;
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      if (watch != null) {
        watch.close();
        watch = null;
      }
      running.remove(this);
    }
  }
}
