package io.overlaynet.etcd;

import static com.google.common.base.Preconditions.checkArgument;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EtcdStore} on etcd's v3 JSON gateway. Internal: use {@link EtcdStore#connect}.
 *
 * <p>The requests are etcd's own gRPC messages in their JSON form (bytes as base64, 64-bit
 * integers as strings, fields at their default value left out), so the data and semantics are
 * those of {@link JetcdStore}: the same range, transaction, put, lease grant and revoke.
 */
final class GatewayStore implements EtcdStore, HasWatches {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayStore.class);

  private final GatewayClient client;
  private final Watches watches;

  private GatewayStore(GatewayClient client) {
    this.client = client;
    this.watches = new Watches(new GatewayWatchSource(client), client::isClosed);
  }

  static GatewayStore create(EtcdOptions options) {
    if (!options.usesTls() && options.caFile().isPresent()) {
      // flanneld builds no TLS config without a client certificate and ignores --etcd-cafile.
      LOG.warn("etcd CA file {} ignored: the endpoints {} use http (connecting to etcd with http is insecure)",
          options.caFile().get(), options.endpoints());
    }
    return new GatewayStore(new GatewayClient(options));
  }

  @Override
  public EtcdOptions options() {
    return client.options();
  }

  @Override
  public Optional<KeyValue> get(String key) {
    JsonObject request = new JsonObject();
    request.addProperty("key", base64(key));
    JsonObject response = client.call("/kv/range", request, "get " + key);
    JsonArray kvs = array(response, "kvs");
    return kvs.isEmpty() ? Optional.empty() : Optional.of(keyValue(kvs.get(0).getAsJsonObject()));
  }

  @Override
  public Listing list(String prefix) {
    checkArgument(!prefix.isEmpty(), "empty prefix would list the whole etcd keyspace");
    // One range request: etcd answers it at a single revision, sorted by key, so the listing is a
    // consistent snapshot to watch from (revision + 1).
    JsonObject request = new JsonObject();
    request.addProperty("key", base64(prefix));
    request.addProperty("range_end", rangeEnd(prefix));
    JsonObject response = client.call("/kv/range", request, "list " + prefix);
    JsonArray kvs = array(response, "kvs");
    List<KeyValue> entries = new ArrayList<>(kvs.size());
    for (JsonElement kv : kvs) {
      entries.add(keyValue(kv.getAsJsonObject()));
    }
    return new Listing(entries, headerRevision(response));
  }

  @Override
  public Optional<Long> create(String key, String value, Duration ttl) {
    long leaseId = grant(ttl, "create " + key);
    JsonObject response;
    try {
      // flannel's createSubnet: the put happens only if the key has never been written or was
      // deleted (version 0), atomically; the loser of a race sees succeeded == false.
      JsonObject compare = new JsonObject();
      compare.addProperty("key", base64(key));
      compare.addProperty("target", "VERSION");
      compare.addProperty("result", "EQUAL");
      compare.addProperty("version", "0");
      JsonObject put = new JsonObject();
      put.add("request_put", putRequest(key, value, leaseId));
      JsonObject txn = new JsonObject();
      txn.add("compare", single(compare));
      txn.add("success", single(put));
      response = client.call("/kv/txn", txn, "create " + key);
    } catch (StoreException e) {
      // The effect is unknown: revoking the lease removes the key if the txn did write it, so a
      // failed create never leaves a half-owned key behind (flannel revokes on failure too).
      revokeQuietly(leaseId, key);
      throw e;
    }
    if (!bool(response, "succeeded")) {
      revokeQuietly(leaseId, key);
      return Optional.empty();
    }
    return Optional.of(headerRevision(response));
  }

  @Override
  public long put(String key, String value, Duration ttl) {
    // flannel's renewal: a fresh lease and a plain put; the old lease is not revoked (it expires
    // on its own with no key attached), exactly as flanneld leaves it.
    long leaseId = grant(ttl, "put " + key);
    return headerRevision(client.call("/kv/put", putRequest(key, value, leaseId), "put " + key));
  }

  @Override
  public boolean delete(String key) {
    JsonObject request = new JsonObject();
    request.addProperty("key", base64(key));
    return number(client.call("/kv/deleterange", request, "delete " + key), "deleted") > 0;
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    client.checkOpen("etcd watch " + prefix);
    return watches.start(prefix, fromRevision, listener);
  }

  @Override
  public Watches watches() {
    return watches;
  }

  @Override
  public void close() {
    if (client.isClosed()) {
      return;
    }
    client.close();
    watches.endAll();
  }

  @Override
  public String toString() {
    return "EtcdStore" + client.options().endpoints();
  }

  // ---------------------------------------------------------------- requests

  /** Grants an etcd lease for {@code ttl}, or returns 0 (no lease) for {@link #NO_TTL}. */
  private long grant(Duration ttl, String what) {
    long seconds = LeaseTtl.seconds(ttl);
    if (seconds == 0) {
      return 0;
    }
    JsonObject request = new JsonObject();
    request.addProperty("TTL", Long.toString(seconds));
    JsonObject response = client.call("/lease/grant", request, what + " (lease grant " + seconds + " s)");
    long leaseId = number(response, "ID");
    if (leaseId == 0) {
      throw new StoreException("etcd " + what + ": lease grant answered without a lease ID: " + response);
    }
    return leaseId;
  }

  private void revokeQuietly(long leaseId, String key) {
    if (leaseId == 0) {
      return;
    }
    JsonObject request = new JsonObject();
    request.addProperty("ID", Long.toString(leaseId));
    try {
      client.call("/lease/revoke", request, "revoke lease " + Long.toHexString(leaseId) + " of " + key);
    } catch (StoreException e) {
      // Harmless: an unused lease simply runs out.
      LOG.debug("could not revoke unused etcd lease {}: {}", Long.toHexString(leaseId), e.getMessage());
    }
  }

  private static JsonObject putRequest(String key, String value, long leaseId) {
    JsonObject put = new JsonObject();
    put.addProperty("key", base64(key));
    put.addProperty("value", base64(value));
    if (leaseId != 0) {
      put.addProperty("lease", Long.toString(leaseId));
    }
    return put;
  }

  private static JsonArray single(JsonObject o) {
    JsonArray a = new JsonArray(1);
    a.add(o);
    return a;
  }

  // ---------------------------------------------------------------- JSON of etcd's messages

  static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
  }

  /** Decodes a base64 field leniently: foreign non-UTF-8 bytes become U+FFFD, not an error. */
  static String text(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e == null ? "" : new String(Base64.getDecoder().decode(e.getAsString()), UTF_8);
  }

  /** etcd's range end for "every key with this prefix": the prefix with its last byte incremented. */
  static String rangeEnd(String prefix) {
    byte[] end = prefix.getBytes(UTF_8);
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return Base64.getEncoder().encodeToString(Arrays.copyOf(end, i + 1));
      }
    }
    // All 0xff: every key from the prefix on ("\0" means "to the end").
    return Base64.getEncoder().encodeToString(new byte[] {0});
  }

  /** A 64-bit field (a JSON string in proto3 JSON); 0 when left out, as proto3 leaves out zeros. */
  static long number(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e == null || e.isJsonNull() ? 0 : e.getAsLong();
  }

  static boolean bool(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e != null && !e.isJsonNull() && e.getAsBoolean();
  }

  static JsonArray array(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e == null || !e.isJsonArray() ? new JsonArray() : e.getAsJsonArray();
  }

  static long headerRevision(JsonObject response) {
    JsonElement header = response.get("header");
    return header == null || !header.isJsonObject() ? 0 : number(header.getAsJsonObject(), "revision");
  }

  static KeyValue keyValue(JsonObject kv) {
    return new KeyValue(text(kv, "key"), text(kv, "value"), number(kv, "mod_revision"));
  }
}
