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
  private static final Duration MAX_RESYNC_BACKOFF = Duration.ofSeconds(5);

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
    k.start();
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

  /** The watch of all leases: snapshot, events, and re-list after a compaction. */
  private final class LeasesWatch implements SubnetManager.LeaseWatch, Store.WatchListener {
    private final LeaseListener listener;
    /** Store key to the last valid lease seen there; guarded by this. */
    private Map<String, Lease> known = new LinkedHashMap<>();
    private Store.Watch current;
    private volatile boolean closed;

    LeasesWatch(LeaseListener listener) {
      this.listener = listener;
    }

    void start() {
      Listing listing = store.list(subnetsPrefix);
      synchronized (this) {
        known = parseAll(listing.entries());
        listener.onSnapshot(List.copyOf(known.values()));
        current = store.watch(subnetsPrefix, listing.revision() + 1, this);
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
      // The store no longer has the history we need: events may have been missed. Re-list and
      // report the difference; not on the store's delivery thread, which must not block.
      log.warn("Lease watch fell behind a store compaction (revision {}); re-listing", compactRevision);
      scheduler.execute(() -> resync(Duration.ofMillis(100)));
    }

    private void resync(Duration backoff) {
      if (closed) {
        return;
      }
      try {
        Listing listing = store.list(subnetsPrefix);
        synchronized (this) {
          if (closed) {
            return;
          }
          Map<String, Lease> fresh = parseAll(listing.entries());
          List<LeaseEvent> diff = new ArrayList<>();
          known.forEach((k, l) -> {
            if (!fresh.containsKey(k)) {
              diff.add(LeaseEvent.removed(l));
            }
          });
          fresh.forEach((k, l) -> {
            if (!l.equals(known.get(k))) {
              diff.add(LeaseEvent.added(l));
            }
          });
          known = fresh;
          log.info("Re-listed {} leases after compaction: {} changes", fresh.size(), diff.size());
          if (!diff.isEmpty()) {
            listener.onEvents(diff);
          }
          current = store.watch(subnetsPrefix, listing.revision() + 1, this);
        }
      } catch (StoreException e) {
        Duration next = backoff.multipliedBy(2).compareTo(MAX_RESYNC_BACKOFF) > 0
            ? MAX_RESYNC_BACKOFF : backoff.multipliedBy(2);
        log.warn("Re-listing leases failed ({}), retrying in {} ms", e.getMessage(), backoff.toMillis());
        if (!closed) {
          scheduler.schedule(() -> resync(next), backoff.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    }

    @Override
    public void onError(Throwable error) {
      if (!closed) {
        log.warn("Lease watch ended: {}", error.toString());
        listener.onError(error);
      }
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

  /** Renews this node's lease before it expires and watches it for deletion. */
  private final class Keeper implements SubnetManager.LeaseWatch, Store.WatchListener {
    private final LeaseKeeperListener listener;
    private final String key;
    private volatile Lease lease;
    private volatile boolean closed;
    private volatile Store.Watch watch;
    private volatile ScheduledFuture<?> timer;

    Keeper(Lease lease, LeaseKeeperListener listener) {
      this.lease = lease;
      this.listener = listener;
      this.key = subnetsPrefix + lease.key();
    }

    void start() {
      watchFromNow();
      scheduleRenewal();
    }

    private void watchFromNow() {
      Listing listing = store.list(key);
      boolean present = listing.entries().stream().anyMatch(kv -> kv.key().equals(key));
      if (!present) {
        lost();
        return;
      }
      watch = store.watch(key, listing.revision() + 1, this);
    }

    private void scheduleRenewal() {
      if (closed) {
        return;
      }
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
      timer = scheduler.schedule(this::renew, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void renew() {
      if (closed) {
        return;
      }
      try {
        lease = renewLease(lease);
        listener.onRenewed(lease);
        scheduleRenewal();
      } catch (RuntimeException e) {
        Duration delay = options.renewRetryDelay();
        log.warn("Error renewing lease (trying again in {}): {}", delay, e.toString());
        listener.onRenewFailed(e, clock.instant().plus(delay));
        if (!closed) {
          timer = scheduler.schedule(this::renew, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    }

    @Override
    public void onEvents(List<StoreEvent> events) {
      for (StoreEvent e : events) {
        // The watch is a prefix watch: 10.5.2.0-24 also matches 10.5.2.0-24&fd00::-64.
        if (e.key().equals(key) && e.type() == StoreEvent.Type.DELETE) {
          lost();
          return;
        }
      }
    }

    @Override
    public void onCompacted(long compactRevision) {
      scheduler.execute(() -> {
        try {
          if (!closed) {
            watchFromNow();
          }
        } catch (StoreException e) {
          log.warn("Re-watching own lease failed ({}), retrying", e.getMessage());
          scheduler.schedule(() -> onCompacted(compactRevision), 1, TimeUnit.SECONDS);
        }
      });
    }

    private void lost() {
      if (closed) {
        return;
      }
      log.warn("Lease has been revoked: {} is no longer ours", lease.subnet());
      close();
      listener.onLost(lease);
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
