package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watch streams over etcd's JSON gateway: {@code POST /v3/watch} with one create request; etcd
 * answers with a chunked body of newline-separated JSON messages, {@code {"result": WatchResponse}}
 * or {@code {"error": {...}}}. Each stream has a daemon thread blocked on its socket; closing the
 * stream closes the socket, which ends the thread at once. Internal: used by {@link GatewayStore}.
 */
final class GatewayWatchSource implements WatchSource {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayWatchSource.class);

  /** Longest message accepted: a response of a large transaction or a revoked lease of many keys. */
  private static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private static final AtomicInteger STREAM_IDS = new AtomicInteger();

  private final GatewayClient client;

  GatewayWatchSource(GatewayClient client) {
    this.client = client;
  }

  @Override
  public Stream open(String prefix, long fromRevision, Sink sink) {
    JsonObject create = new JsonObject();
    create.addProperty("key", GatewayStore.base64(prefix));
    create.addProperty("range_end", GatewayStore.rangeEnd(prefix));
    if (fromRevision > 0) {
      create.addProperty("start_revision", Long.toString(fromRevision));
    }
    // Progress notifications let an idle watch advance its resume revision, so a reconnect
    // after long silence is less likely to land on compacted history.
    create.addProperty("progress_notify", true);
    JsonObject request = new JsonObject();
    request.add("create_request", create);

    AtomicBoolean closed = new AtomicBoolean();
    AtomicReference<HttpConnection> connection = new AtomicReference<>();
    Thread reader = new Thread(() -> run(prefix, fromRevision, request, sink, closed, connection),
        "overlaynet-etcd-watch-stream-" + STREAM_IDS.incrementAndGet());
    reader.setDaemon(true);
    reader.start();
    return () -> {
      closed.set(true);
      HttpConnection c = connection.get();
      if (c != null) {
        client.closeStream(c);
      }
    };
  }

  /** The stream's thread: opens the request, then turns each message into a sink call. */
  private void run(String prefix, long fromRevision, JsonObject request, Sink sink, AtomicBoolean closed,
      AtomicReference<HttpConnection> connection) {
    GatewayClient.Stream stream;
    try {
      stream = client.openStream("/watch", request, "watch " + prefix + " from revision " + fromRevision,
          c -> {
            connection.set(c);
            if (closed.get()) {
              // Closed while connecting: the close above may have missed this connection.
              c.close();
            }
          });
    } catch (GatewayError.NoGatewayException e) {
      report(closed, () -> sink.onRefused(e.getMessage(), e));
      return;
    } catch (StoreException e) {
      // etcd down, or e.g. an auth token that expired: resume after the back-off. A closed store
      // ends its watches itself.
      if (!client.isClosed()) {
        report(closed, () -> sink.onBroken(e.getMessage(), e));
      }
      return;
    }
    HttpConnection c = stream.connection();
    try {
      InputStream body = stream.response().body();
      for (byte[] line = readLine(body); line != null && !closed.get(); line = readLine(body)) {
        if (line.length == 0) {
          continue;
        }
        JsonObject message = GatewayClient.parse(line);
        if (message == null) {
          // A garbage line: the stream cannot be trusted any more; resume on a new one.
          String garbage = GatewayClient.abbreviate(new String(line, UTF_8));
          report(closed, () -> sink.onBroken("etcd sent a watch message that is not JSON: " + garbage, null));
          return;
        }
        if (!dispatch(prefix, message, sink, closed, stream)) {
          return;
        }
      }
      report(closed, () -> sink.onBroken("stream ended", null));
    } catch (IOException | RuntimeException e) {
      report(closed, () -> sink.onBroken(e.getClass().getSimpleName() + ": " + e.getMessage(), e));
    } finally {
      client.closeStream(c);
    }
  }

  /** Handles one message; returns false when the stream has ended. */
  private boolean dispatch(String prefix, JsonObject message, Sink sink, AtomicBoolean closed,
      GatewayClient.Stream stream) {
    JsonElement error = message.get("error");
    if (error != null) {
      GatewayError e = GatewayError.of(200, message, message.toString());
      if (e.isInvalidToken()) {
        client.invalidateToken(stream.token());
      }
      if (e.isTransient()) {
        // e.g. "no leader" on this member (require-leader): resume on another one if there is one.
        client.demote(stream.connection().endpoint());
      }
      report(closed, () -> {
        if (e.isRefusal()) {
          sink.onRefused(e.describe(), null);
        } else {
          sink.onBroken(e.describe(), null);
        }
      });
      return false;
    }
    JsonElement result = message.get("result");
    if (result == null || !result.isJsonObject()) {
      return true;
    }
    JsonObject r = result.getAsJsonObject();
    long header = GatewayStore.headerRevision(r);
    if (GatewayStore.bool(r, "canceled")) {
      long compactRevision = GatewayStore.number(r, "compact_revision");
      String reason = r.has("cancel_reason") ? r.get("cancel_reason").getAsString() : "canceled by etcd";
      if (GatewayError.isStaleTokenMessage(reason) || reason.contains("permission denied")) {
        // etcd checks the token when it creates the watch and cancels it at once if the token is
        // stale (3.5: "invalid auth token"; 3.4 says "permission denied"): get a new one before
        // the watch is opened again.
        client.invalidateToken(stream.token());
      }
      report(closed, () -> {
        if (compactRevision > 0) {
          sink.onCompacted(compactRevision);
        } else {
          // e.g. "permission denied" after the user's rights changed, or a leader change: resume.
          sink.onBroken(reason, null);
        }
      });
      return false;
    }
    if (GatewayStore.bool(r, "created")) {
      report(closed, () -> sink.onCreated(header));
      return true;
    }
    List<StoreEvent> events = events(prefix, GatewayStore.array(r, "events"));
    if (events.isEmpty()) {
      // No events, not created, not canceled: a progress notification.
      report(closed, () -> sink.onProgress(header));
    } else {
      report(closed, () -> sink.onEvents(events));
    }
    return true;
  }

  private static List<StoreEvent> events(String prefix, Iterable<JsonElement> raw) {
    List<StoreEvent> events = new ArrayList<>();
    for (JsonElement element : raw) {
      JsonObject event = element.getAsJsonObject();
      JsonElement kvElement = event.get("kv");
      if (kvElement == null || !kvElement.isJsonObject()) {
        LOG.warn("etcd watch of {}: ignoring an event without a key: {}", prefix, event);
        continue;
      }
      JsonObject kv = kvElement.getAsJsonObject();
      String key = GatewayStore.text(kv, "key");
      long revision = GatewayStore.number(kv, "mod_revision");
      // proto3 JSON leaves out the default enum value: no "type" means PUT.
      String type = event.has("type") ? event.get("type").getAsString() : "PUT";
      switch (type) {
        case "PUT" -> events.add(StoreEvent.put(key, GatewayStore.text(kv, "value"), revision));
        // A delete event's key-value is a tombstone whose mod revision is the delete's revision.
        case "DELETE" -> events.add(StoreEvent.delete(key, revision));
        default -> LOG.warn("etcd watch of {}: ignoring unknown event type {} for {}", prefix, type, key);
      }
    }
    return events;
  }

  /** Calls the sink unless the stream was closed: a closed stream reports nothing more. */
  private static void report(AtomicBoolean closed, Runnable call) {
    if (!closed.get()) {
      call.run();
    }
  }

  /** Reads one newline-terminated message; null at the end of the stream. */
  private static byte[] readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        return line.size() == 0 ? null : line.toByteArray();
      }
      if (line.size() >= MAX_MESSAGE_BYTES) {
        throw new IOException("etcd watch message longer than " + MAX_MESSAGE_BYTES + " bytes");
      }
      line.write(b);
    }
    return line.toByteArray();
  }
}
