package io.overlaynet.etcd;

import io.etcd.jetcd.Watch.Watcher;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.overlaynet.store.StoreEvent;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Watch streams over gRPC through jetcd. Internal: used by {@link JetcdStore}. */
final class JetcdWatchSource implements WatchSource {

  private static final Logger LOG = LoggerFactory.getLogger(JetcdWatchSource.class);

  private final io.etcd.jetcd.Watch client;

  JetcdWatchSource(io.etcd.jetcd.Watch client) {
    this.client = client;
  }

  @Override
  public Stream open(String prefix, long fromRevision, Sink sink) {
    WatchOption option = WatchOption.builder()
        .withRevision(fromRevision)
        .isPrefix(true)
        // Without require-leader a member cut off from its cluster keeps the stream open and
        // silently delivers nothing; with it the stream fails and we reconnect (maybe elsewhere).
        .withRequireLeader(true)
        // Progress notifications let an idle watch advance its resume revision, so a reconnect
        // after long silence is less likely to land on compacted history.
        .withProgressNotify(true)
        .withCreateNotify(true)
        .build();
    Watcher watcher = client.watch(JetcdStore.bytes(prefix), option, io.etcd.jetcd.Watch.listener(
        response -> onResponse(prefix, response, sink),
        error -> onError(error, sink),
        () -> sink.onBroken("stream ended", null)));
    return () -> {
      try {
        watcher.close();
      } catch (RuntimeException e) {
        LOG.debug("closing an etcd watcher: {}", e.toString());
      }
    };
  }

  private static void onResponse(String prefix, WatchResponse response, Sink sink) {
    if (response.isCreatedNotify()) {
      sink.onCreated(response.getHeader().getRevision());
      return;
    }
    if (response.getEvents().isEmpty()) {
      if (response.isProgressNotify()) {
        sink.onProgress(response.getHeader().getRevision());
      }
      return;
    }
    List<StoreEvent> events = new ArrayList<>(response.getEvents().size());
    for (WatchEvent e : response.getEvents()) {
      io.etcd.jetcd.KeyValue kv = e.getKeyValue();
      String key = JetcdStore.text(kv.getKey());
      switch (e.getEventType()) {
        case PUT -> events.add(StoreEvent.put(key, JetcdStore.text(kv.getValue()), kv.getModRevision()));
        // A delete event's key-value is a tombstone whose mod revision is the delete's revision.
        case DELETE -> events.add(StoreEvent.delete(key, kv.getModRevision()));
        default -> LOG.warn("etcd watch of {}: ignoring unknown event type {} for {}", prefix, e.getEventType(), key);
      }
    }
    if (!events.isEmpty()) {
      sink.onEvents(events);
    }
  }

  private static void onError(Throwable error, Sink sink) {
    if (error instanceof CompactedException compacted) {
      sink.onCompacted(compacted.getCompactedRevision());
    } else if (isRefusal(error)) {
      sink.onRefused(EtcdErrors.describe(error), error);
    } else {
      sink.onBroken(EtcdErrors.describe(error), error);
    }
  }

  /**
   * Errors that retrying cannot fix: the watch request itself is refused. Permission errors are
   * not among them because jetcd reports an expired auth token that way and refreshes it.
   */
  private static boolean isRefusal(Throwable error) {
    if (error instanceof EtcdException e) {
      ErrorCode code = e.getErrorCode();
      return code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.UNIMPLEMENTED
          || code == ErrorCode.OUT_OF_RANGE;
    }
    return false;
  }
}
