package io.overlaynet.etcd;

import io.overlaynet.store.StoreEvent;
import java.util.List;

/**
 * One transport's raw etcd watch streams (gRPC through jetcd, or the JSON gateway). Internal:
 * {@link SupervisedWatch} opens a stream, and a new one from the right revision whenever a stream
 * breaks; the transport only classifies what its stream reports.
 */
interface WatchSource {

  /**
   * Opens a watch of every key under {@code prefix} from {@code fromRevision} (0: from now), with
   * etcd's require-leader, progress notifications and the "created" notification. Callbacks may
   * come from any thread, also after {@link Stream#close()} (the caller ignores them then). A
   * failure to open is reported through {@link Sink#onBroken} or thrown.
   */
  Stream open(String prefix, long fromRevision, Sink sink);

  /** An open stream. */
  interface Stream extends AutoCloseable {
    /** Stops the stream; never throws. */
    @Override
    void close();
  }

  /** What a stream reports, already classified. */
  interface Sink {

    /** etcd created the watch; {@code headerRevision} is etcd's revision at that moment. */
    void onCreated(long headerRevision);

    /** A progress notification: every event up to {@code headerRevision} has been sent. */
    void onProgress(long headerRevision);

    /** The events of one etcd watch response, in revision order (never split within a revision). */
    void onEvents(List<StoreEvent> events);

    /** The history from the requested revision is gone; the stream has ended. */
    void onCompacted(long compactRevision);

    /** etcd refused the watch request itself; retrying cannot help. The stream has ended. */
    void onRefused(String reason, Throwable cause);

    /** The stream broke or ended (disconnect, no leader, ...); worth resuming. {@code cause} may be null. */
    void onBroken(String reason, Throwable cause);
  }
}
