package io.overlaynet.impl;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.LeaseEvent;
import io.overlaynet.LeaseException;
import io.overlaynet.LeaseKeeperListener;
import io.overlaynet.LeaseListener;
import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigNotFoundException;
import io.overlaynet.SubnetManager;
import io.overlaynet.SubnetManagerOptions;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
public final class LocalSubnetManager implements SubnetManager {

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

  /** Creates a manager; prefer {@link SubnetManager#overStore}. */
  public LocalSubnetManager(Store store, SubnetManagerOptions options) {
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
            subnet6.map(Object::toString).orElse("::/0"), attrs.publicIp());
        return created.get();
      }
      // flanneld exits here ("subnet already exists"); another node won this subnet, so try again.
      log.info("Subnet {} was taken by another node meanwhile, trying another (attempt {})", subnet, attempt);
      sleepQuietly(random.nextInt(20));
    }
    throw new LeaseException("gave up acquiring a lease after " + MAX_ATTEMPTS + " lost allocation races");
  }

  private Optional<Lease> reuseOwnLease(NetworkConfig config, LeaseAttrs attrs, Map<String, Lease> leases) {
    if (attrs.publicIp().isUnspecified()) {
      return Optional.empty();
    }
    for (Map.Entry<String, Lease> e : leases.entrySet()) {
      Lease lease = e.getValue();
      if (!lease.attrs().publicIp().equals(attrs.publicIp())) {
        continue;
      }
      if (isCompatible(config, lease)) {
        Lease renewed = write(new Lease(lease.subnet(), lease.ipv6Subnet(), attrs, Optional.empty()));
        log.info("Found lease (ip: {} ipv6: {}) for current IP ({}), reusing", lease.subnet(),
            lease.ipv6Subnet().map(Object::toString).orElse("::/0"), attrs.publicIp());
        return Optional.of(renewed);
      }
      // The config changed under the lease: free it so the subnet can be chosen afresh.
      log.info("Found lease ({}) for current IP ({}) but it is not compatible with the network config, deleting it",
          lease.subnet(), attrs.publicIp());
      store.delete(e.getKey());
      leases.remove(e.getKey());
      return Optional.empty();
    }
    return Optional.empty();
  }

  private Optional<Lease> tryPreviousSubnet(NetworkConfig config, LeaseAttrs attrs, Collection<Lease> leases) {
    Optional<Ip4Net> prev = options.previousSubnet();
    if (prev.isEmpty() || !config.enableIpv4()) {
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
    if (leases.stream().anyMatch(l -> l.subnet().overlaps(subnet))) {
      // Someone else holds it now (flannel issues #805, #1289): never reuse a held subnet.
      log.info("Previously leased subnet ({}) is held by another node, not reusing it", subnet);
      return Optional.empty();
    }
    Optional<Lease> created = tryCreate(subnet, subnet6, attrs);
    created.ifPresent(l -> log.info("Found previously leased subnet ({}), reusing", subnet));
    return created;
  }

  private Ip4Net pickIpv4(NetworkConfig config, Collection<Lease> leases) {
    List<Ip4Net> free = new ArrayList<>();
    Ip4Net candidate = Ip4Net.of(config.subnetMin(), config.subnetLen());
    while (candidate.address().compareTo(config.subnetMax()) <= 0 && free.size() < MAX_CANDIDATES) {
      Ip4Net c = candidate;
      if (leases.stream().noneMatch(l -> l.subnet().overlaps(c))) {
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
    boolean v4 = !config.enableIpv4() || config.isCompatible(lease.subnet());
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
   * The watch of all leases: snapshot, events, and a re-list with a new snapshot whenever the
   * store's watch cannot go on by itself (compaction, or a watch the store ended).
   *
   * <p>Why re-list instead of reporting the error: an agent whose watch ended would otherwise run
   * on with whatever it had, blind to every node that comes or goes. Only an error that re-listing
   * shares (authentication refused, store closed) ends the watch, through
   * {@link LeaseListener#onError}; an unreachable store is retried with back-off for as long as it
   * takes. Re-lists run on the manager's scheduler thread, never on the store's delivery thread.
   */
  private final class LeasesWatch implements SubnetManager.LeaseWatch, Store.WatchListener {
    /** A watch refused this many times in a row, each right after a successful re-list, is given up. */
    private static final int MAX_REFUSALS = 5;
    /** A watch that lived this long before it ended is not counted as refused. */
    private static final Duration HEALTHY = Duration.ofSeconds(60);

    private final LeaseListener listener;
    /** Store key to the last valid lease seen there; guarded by this. */
    private Map<String, Lease> known = new LinkedHashMap<>();
    private Store.Watch current;
    private volatile boolean closed;
    // Scheduler thread only:
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), MAX_RESYNC_BACKOFF);
    private final RetryLog retryLog = new RetryLog(log, "Re-listing leases");
    private long watchedSince;
    private int refusals;

    LeasesWatch(LeaseListener listener) {
      this.listener = listener;
    }

    void start() {
      Listing listing = store.list(subnetsPrefix);
      synchronized (this) {
        known = parseAll(listing.entries());
        listener.onSnapshot(List.copyOf(known.values()));
        current = store.watch(subnetsPrefix, listing.revision() + 1, this);
        watchedSince = System.nanoTime();
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
          listener.onEvents(out);
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
      if (closed) {
        return;
      }
      schedule(() -> {
        if (System.nanoTime() - watchedSince > HEALTHY.toNanos()) {
          refusals = 0;
        }
        if (++refusals > MAX_REFUSALS) {
          fail(new StoreException("the store ended the lease watch " + MAX_REFUSALS + " times in a row: "
              + error.getMessage(), error));
          return;
        }
        long delay = backoff.nextMillis();
        log.warn("Lease watch ended ({}); re-listing and watching again in {} ms", error.getMessage(), delay);
        schedule(this::relist, delay);
      }, 0);
    }

    private void schedule(Runnable task, long delayMillis) {
      if (closed) {
        return;
      }
      try {
        scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // The manager is closing.
      }
    }

    /** Lists every lease, hands the listener a new snapshot and watches from the listing on. */
    private void relist() {
      if (closed) {
        return;
      }
      Listing listing;
      try {
        listing = store.list(subnetsPrefix);
      } catch (StoreUnavailableException e) {
        long delay = backoff.nextMillis();
        retryLog.failed(e, delay);
        schedule(this::relist, delay);
        return;
      } catch (StoreException e) {
        fail(e);
        return;
      }
      retryLog.recovered();
      backoff.reset();
      synchronized (this) {
        if (closed) {
          return;
        }
        Map<String, Lease> fresh = parseAll(listing.entries());
        long changes = fresh.entrySet().stream().filter(e -> !e.getValue().equals(known.get(e.getKey()))).count()
            + known.keySet().stream().filter(k -> !fresh.containsKey(k)).count();
        known = fresh;
        log.info("Re-listed {} leases: {} changed meanwhile", fresh.size(), changes);
        listener.onSnapshot(List.copyOf(fresh.values()));
        try {
          current = store.watch(subnetsPrefix, listing.revision() + 1, this);
          watchedSince = System.nanoTime();
        } catch (StoreUnavailableException e) {
          long delay = backoff.nextMillis();
          retryLog.failed(e, delay);
          schedule(this::relist, delay);
        } catch (StoreException e) {
          fail(e);
        }
      }
    }

    /** Ends the watch for good and says why. */
    private void fail(StoreException e) {
      if (closed) {
        return;
      }
      log.error("Lease watch ended for good: {}", e.getMessage());
      close();
      listener.onError(e);
    }

    @Override
    public void close() {
      closed = true;
      Store.Watch w;
      synchronized (this) {
        w = current;
      }
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
   * re-watching never race. The store's watch callbacks only post work there.
   *
   * <p>Why not stop when the key goes away, as flanneld does ("Lease has been revoked"): a node cut
   * off from etcd for longer than the TTL would then take its whole data plane down the moment
   * etcd answers again, although its subnet is usually still free. So a deleted or expired key is
   * created again (create-if-absent, so a node that took the subnet meanwhile keeps it), and a key
   * overwritten with this node's public IP (another writer, stale backend data) is written back.
   * Only a subnet held by another node is lost.
   */
  private final class Keeper implements SubnetManager.LeaseWatch, Store.WatchListener {
    private final LeaseKeeperListener listener;
    private final String key;
    /** Our value, as the store holds it, and its attributes normalised by a parse. */
    private final String value;
    private final LeaseAttrs attrs;
    private volatile Lease lease;
    private volatile boolean closed;
    private volatile Store.Watch watch;
    private volatile ScheduledFuture<?> timer;
    // Scheduler thread only:
    private final Backoff renewBackoff;
    private final Backoff watchBackoff = new Backoff(Duration.ofMillis(100), MAX_RESYNC_BACKOFF);
    private final RetryLog renewLog = new RetryLog(log, "Renewing the lease");
    private final RetryLog watchLog = new RetryLog(log, "Watching the own lease");

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
      post(() -> afterListing(listing), 0);
      scheduleRenewal();
    }

    private void post(Runnable task, long delayMillis) {
      if (closed) {
        return;
      }
      try {
        scheduler.schedule(() -> {
          if (!closed) {
            task.run();
          }
        }, delayMillis, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // The manager is closing.
      }
    }

    /** Looks at the key as listed, then watches it from the listing's revision on. */
    private void afterListing(Listing listing) {
      Optional<KeyValue> kv = listing.entries().stream().filter(e -> e.key().equals(key)).findFirst();
      if (kv.isEmpty()) {
        reassert("missing from the store");
      } else {
        checkValue(kv.get().value());
      }
      if (closed) {
        return;
      }
      try {
        watch = store.watch(key, listing.revision() + 1, this);
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
      watchLog.recovered();
      watchBackoff.reset();
      afterListing(listing);
    }

    private void rewatchLater(StoreException e) {
      long delay = watchBackoff.nextMillis();
      watchLog.failed(e, delay);
      post(this::rewatch, delay);
    }

    private void scheduleRenewal() {
      Instant expiration = lease.expiration().orElse(clock.instant());
      Duration wait = Duration.between(clock.instant(), expiration.minus(options.renewMargin()));
      // A margin close to the TTL must not turn renewal into a busy loop.
      Duration floor = options.leaseTtl().dividedBy(10);
      if (wait.compareTo(floor) < 0 && lease.expiration().isPresent()) {
        wait = floor;
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
        timer = scheduler.schedule(this::renew, delayMillis, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // The manager is closing.
      }
    }

    private void renew() {
      if (closed) {
        return;
      }
      if (lease.expiration().map(x -> !clock.instant().isBefore(x)).orElse(false)) {
        // Past its expiry the key is gone from the store (or another node's by now): a blind put
        // could overwrite that node's lease, so take the subnet again only if it is still free.
        reassert("expired while the store could not be reached");
        return;
      }
      try {
        lease = renewLease(lease);
        renewLog.recovered();
        renewBackoff.reset();
        listener.onRenewed(lease);
        scheduleRenewal();
      } catch (StoreException e) {
        renewFailed(e);
      }
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
      listener.onRenewFailed(e, clock.instant().plusMillis(delay));
      setTimer(delay);
    }

    /**
     * Creates the key again, with the same subnet, unless it exists; an existing key is checked
     * (ours, written back if overwritten, or another node's: lost).
     */
    private void reassert(String why) {
      if (closed) {
        return;
      }
      Optional<Long> rev;
      try {
        rev = store.create(key, value, options.leaseTtl());
      } catch (StoreUnavailableException e) {
        renewFailed(e);
        return;
      } catch (StoreException e) {
        fail(e);
        return;
      }
      if (rev.isPresent()) {
        lease = lease.withExpiration(clock.instant().plus(options.leaseTtl()));
        log.warn("The lease of {} was {}; re-acquired the same subnet", lease.subnet(), why);
        renewLog.recovered();
        renewBackoff.reset();
        listener.onRenewed(lease);
        scheduleRenewal();
        return;
      }
      // Someone wrote the key between our look and the create: see whose it is.
      try {
        Optional<KeyValue> kv = store.get(key);
        if (kv.isPresent()) {
          checkValue(kv.get().value());
        } else {
          post(() -> reassert(why), 0); // deleted again meanwhile
        }
      } catch (StoreUnavailableException e) {
        renewFailed(e);
      } catch (StoreException e) {
        fail(e);
      }
    }

    /** Compares the key's value with ours: equal is fine, ours overwritten is written back, another node's is lost. */
    private void checkValue(String found) {
      LeaseAttrs theirs;
      try {
        theirs = LeaseCodec.parseAttrs(found);
      } catch (IllegalArgumentException e) {
        theirs = null; // garbage in our key: nobody else can claim a subnet with that
      }
      if (attrs.equals(theirs)) {
        return;
      }
      if (theirs != null && !(theirs.publicIp().equals(attrs.publicIp())
          && theirs.publicIpv6().equals(attrs.publicIpv6()))) {
        lost(theirs);
        return;
      }
      log.warn("The lease of {} was overwritten by another writer ({}); writing this node's value back",
          lease.subnet(), theirs == null ? "a malformed value" : "other backend data");
      try {
        lease = renewLease(lease);
        listener.onRenewed(lease);
        scheduleRenewal();
      } catch (StoreException e) {
        renewFailed(e);
      }
    }

    @Override
    public void onEvents(List<StoreEvent> events) {
      for (StoreEvent e : events) {
        // The watch is a prefix watch: 10.5.2.0-24 also matches 10.5.2.0-24&fd00::-64.
        if (!e.key().equals(key)) {
          continue;
        }
        if (e.type() == StoreEvent.Type.DELETE) {
          post(() -> reassert("deleted or expired in the store"), 0);
        } else {
          String v = e.value();
          post(() -> checkValue(v), 0);
        }
      }
    }

    @Override
    public void onCompacted(long compactRevision) {
      post(this::rewatch, 0);
    }

    @Override
    public void onError(Throwable error) {
      // The store ended the watch: look again and watch again; fail() if the store refuses for good.
      log.warn("The watch of the own lease ended ({}); watching it again", error.getMessage());
      post(() -> rewatchLater(error instanceof StoreException se ? se : new StoreException(error.toString(), error)),
          0);
    }

    private void lost(LeaseAttrs holder) {
      if (closed) {
        return;
      }
      log.error("Lease has been revoked: {} is now held by the node with public IP {}", lease.subnet(),
          holder.publicIp());
      Lease gone = lease;
      close();
      listener.onLost(gone);
    }

    private void fail(StoreException e) {
      if (closed) {
        return;
      }
      log.error("Keeping the lease of {} failed for good: {}", lease.subnet(), e.getMessage());
      close();
      listener.onFailed(e);
    }

    @Override
    public void close() {
      closed = true;
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      Store.Watch w = watch;
      if (w != null) {
        w.close();
      }
      running.remove(this);
    }
  }
}
