package io.overlaynet.etcd;

import static com.google.common.base.Preconditions.checkArgument;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.StoreException;
import java.net.URI;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EtcdStore} on jetcd-core. Internal: use {@link EtcdStore#connect}, which checks
 * through {@link Jetcd} that jetcd-core is on the class path before this class is loaded.
 */
final class JetcdStore implements EtcdStore, HasWatches {

  private static final Logger LOG = LoggerFactory.getLogger(JetcdStore.class);

  /**
   * gRPC's default 4 MiB inbound limit is too small for a large cluster's listing (a flannel
   * lease is ~130 bytes: 4 MiB is ~30,000 leases, but the config and foreign keys add up).
   */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

  private final EtcdOptions options;
  private final Client client;
  private final KV kv;
  private final Lease leases;
  private final Calls calls;
  private final Watches watches;
  private final AtomicBoolean closed = new AtomicBoolean();

  private JetcdStore(EtcdOptions options, Client client) {
    this.options = options;
    this.client = client;
    this.kv = client.getKVClient();
    this.leases = client.getLeaseClient();
    this.calls = new Calls(options, closed);
    this.watches = new Watches(new JetcdWatchSource(client.getWatchClient()), closed::get);
  }

  static JetcdStore create(EtcdOptions options) {
    ClientBuilder builder = Client.builder()
        .endpoints(options.endpoints().toArray(URI[]::new))
        // Without this a call to an etcd that is down waits for the channel to become ready,
        // i.e. for ever: fail fast with UNAVAILABLE and let our own timeouts and retries decide.
        .waitForReady(false)
        .connectTimeout(options.connectTimeout())
        // jetcd retries UNAVAILABLE calls on its own; never for longer than our deadline.
        .retryMaxDuration(options.requestTimeout())
        // HTTP/2 pings on open streams find a dead connection (partition, host crash) within
        // ~15 s, so a watch resumes instead of waiting for ever; etcd accepts pings 5 s apart.
        .keepaliveTime(Duration.ofSeconds(10))
        .keepaliveTimeout(Duration.ofSeconds(5))
        .keepaliveWithoutCalls(false)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES);
    options.username().ifPresent(u -> builder.user(ByteSequence.from(u, UTF_8)));
    options.password().ifPresent(p -> builder.password(ByteSequence.from(p, UTF_8)));
    if (options.usesTls()) {
      configureTls(builder, options);
    } else if (options.caFile().isPresent()) {
      // flanneld builds no TLS config without a client certificate and ignores --etcd-cafile.
      LOG.warn("etcd CA file {} ignored: the endpoints {} use http (connecting to etcd with http is insecure)",
          options.caFile().get(), options.endpoints());
    }
    try {
      return new JetcdStore(options, builder.build());
    } catch (RuntimeException e) {
      throw new StoreException("cannot create the etcd client for " + options.endpoints() + ": " + e, e);
    }
  }

  /**
   * Sets jetcd's netty SSL context from the options' CA, certificate and key files. The netty
   * {@code SslContextBuilder} that jetcd exposes never leaves this method.
   */
  private static void configureTls(ClientBuilder builder, EtcdOptions options) {
    X509Certificate[] trusted = options.caFile().map(TlsSupport::readCertificates).orElse(null);
    X509Certificate[] chain = options.certFile().map(TlsSupport::readCertificates).orElse(null);
    PrivateKey key = options.keyFile().map(TlsSupport::readPrivateKey).orElse(null);
    try {
      builder.sslContext(ssl -> {
        // flanneld sets MinVersion TLS 1.2.
        ssl.protocols("TLSv1.3", "TLSv1.2");
        if (trusted != null) {
          ssl.trustManager(trusted);
        }
        if (chain != null && key != null) {
          ssl.keyManager(key, chain);
        }
      });
    } catch (SSLException | RuntimeException e) {
      throw new IllegalArgumentException("cannot build the etcd TLS context from " + options + ": " + e, e);
    }
  }

  @Override
  public EtcdOptions options() {
    return options;
  }

  @Override
  public Optional<KeyValue> get(String key) {
    GetResponse response = calls.await(() -> kv.get(bytes(key)), "get", key);
    if (response.getKvs().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(toKeyValue(response.getKvs().get(0)));
  }

  @Override
  public Listing list(String prefix) {
    checkArgument(!prefix.isEmpty(), "empty prefix would list the whole etcd keyspace");
    // One range request: etcd answers it at a single revision, sorted by key, so the listing is a
    // consistent snapshot to watch from (revision + 1).
    GetResponse response = calls.await(
        () -> kv.get(bytes(prefix), GetOption.builder().isPrefix(true).build()), "list", prefix);
    List<KeyValue> entries = new ArrayList<>(response.getKvs().size());
    for (io.etcd.jetcd.KeyValue kv : response.getKvs()) {
      entries.add(toKeyValue(kv));
    }
    return new Listing(entries, response.getHeader().getRevision());
  }

  @Override
  public Optional<Long> create(String key, String value, Duration ttl) {
    long leaseId = grant(ttl, "create", key);
    TxnResponse response;
    try {
      // flannel's createSubnet: the put happens only if the key has never been written or was
      // deleted (version 0), atomically; the loser of a race sees succeeded == false.
      response = calls.await(() -> kv.txn()
          .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0)))
          .Then(Op.put(bytes(key), bytes(value), putOption(leaseId)))
          .commit(), "create", key);
    } catch (StoreException e) {
      // The effect is unknown: revoking the lease removes the key if the txn did write it, so a
      // failed create never leaves a half-owned key behind (flannel revokes on failure too).
      revokeQuietly(leaseId, key);
      throw e;
    }
    if (!response.isSucceeded()) {
      revokeQuietly(leaseId, key);
      return Optional.empty();
    }
    return Optional.of(response.getHeader().getRevision());
  }

  @Override
  public long put(String key, String value, Duration ttl) {
    // flannel's renewal: a fresh lease and a plain put; the old lease is not revoked (it expires
    // on its own with no key attached), exactly as flanneld leaves it.
    long leaseId = grant(ttl, "put", key);
    PutResponse response = calls.await(
        () -> kv.put(bytes(key), bytes(value), putOption(leaseId)), "put", key);
    return response.getHeader().getRevision();
  }

  @Override
  public boolean delete(String key) {
    return calls.await(() -> kv.delete(bytes(key)), "delete", key).getDeleted() > 0;
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    calls.checkOpen("watch", prefix);
    return watches.start(prefix, fromRevision, listener);
  }

  @Override
  public Watches watches() {
    return watches;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    watches.endAll();
    calls.cancelAll();
    client.close();
  }

  @Override
  public String toString() {
    return "EtcdStore" + options.endpoints();
  }

  /** Grants an etcd lease for {@code ttl}, or returns 0 (no lease) for {@link #NO_TTL}. */
  private long grant(Duration ttl, String op, String key) {
    long seconds = LeaseTtl.seconds(ttl);
    if (seconds == 0) {
      return 0;
    }
    return calls.await(() -> leases.grant(seconds), op + " (lease grant " + seconds + " s)", key).getID();
  }

  private void revokeQuietly(long leaseId, String key) {
    if (leaseId == 0) {
      return;
    }
    try {
      calls.await(() -> leases.revoke(leaseId), "revoke lease " + Long.toHexString(leaseId), key);
    } catch (StoreException e) {
      // Harmless: an unused lease simply runs out.
      LOG.debug("could not revoke unused etcd lease {}: {}", Long.toHexString(leaseId), e.getMessage());
    }
  }

  private static PutOption putOption(long leaseId) {
    return leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  /** Decodes leniently: a foreign non-UTF-8 key or value becomes U+FFFD, not an error. */
  static String text(ByteSequence b) {
    return new String(b.getBytes(), UTF_8);
  }

  private static KeyValue toKeyValue(io.etcd.jetcd.KeyValue kv) {
    return new KeyValue(text(kv.getKey()), text(kv.getValue()), kv.getModRevision());
  }

  /** Bounds every jetcd future by the request timeout and maps failures to store exceptions. */
  static final class Calls {
    private final EtcdOptions options;
    private final AtomicBoolean closed;
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();

    Calls(EtcdOptions options, AtomicBoolean closed) {
      this.options = options;
      this.closed = closed;
    }

    void checkOpen(String op, String key) {
      if (closed.get()) {
        throw new StoreException("etcd " + op + " " + key + ": the store is closed");
      }
    }

    <T> T await(Supplier<CompletableFuture<T>> call, String op, String key) {
      checkOpen(op, key);
      List<CompletableFuture<?>> mine = new ArrayList<>(1);
      try {
        return EtcdErrors.await(() -> track(call.get(), mine), options.requestTimeout(), closed,
            () -> "etcd " + op + " " + key + " (endpoints " + options.endpoints() + ")");
      } finally {
        mine.forEach(inFlight::remove);
      }
    }

    private <T> CompletableFuture<T> track(CompletableFuture<T> future, List<CompletableFuture<?>> mine) {
      mine.add(future);
      inFlight.add(future);
      if (closed.get()) {
        // close() may have swept inFlight just before this call registered.
        future.cancel(true);
      }
      return future;
    }

    /**
     * Fails every call in progress. jetcd's {@code Client.close()} does not complete pending
     * futures (its retry loop keeps them open), so a caller would otherwise wait for its timeout.
     */
    void cancelAll() {
      for (CompletableFuture<?> f : List.copyOf(inFlight)) {
        f.cancel(true);
      }
    }
  }
}
