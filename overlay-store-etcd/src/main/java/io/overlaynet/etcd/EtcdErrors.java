package io.overlaynet.etcd;

import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Maps jetcd / gRPC failures to store exceptions, in one place. Internal, and for the gRPC
 * transport only: it links against jetcd and gRPC, so nothing on the HTTP path may use it.
 */
final class EtcdErrors {

  private EtcdErrors() {}

  /**
   * Runs one jetcd call and waits for it at most {@code timeout}.
   *
   * @param what describes the call for messages: operation, key, endpoints
   */
  static <T> T await(Supplier<CompletableFuture<T>> call, Duration timeout, AtomicBoolean storeClosed,
      Supplier<String> what) {
    CompletableFuture<T> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      throw translate(e, storeClosed, what);
    }
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // Cancelling stops jetcd's own retry loop for this call.
      future.cancel(true);
      throw new StoreUnavailableException(what.get() + ": no answer within " + timeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(what.get() + ": interrupted", e);
    } catch (ExecutionException | CompletionException e) {
      throw translate(e.getCause() != null ? e.getCause() : e, storeClosed, what);
    } catch (CancellationException e) {
      throw translate(e, storeClosed, what);
    }
  }

  /** Returns the store exception for a failed call. */
  static StoreException translate(Throwable t, AtomicBoolean storeClosed, Supplier<String> what) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (storeClosed.get()) {
      return new StoreException(what.get() + ": the store was closed", t);
    }
    if (isTransient(t)) {
      return new StoreUnavailableException(what.get() + ": etcd unavailable: " + describe(t), t);
    }
    return new StoreException(what.get() + ": " + describe(t), t);
  }

  /** Returns whether {@code t} is worth retrying later: etcd down, no leader, a timeout. */
  static boolean isTransient(Throwable t) {
    if (t instanceof CompactedException) {
      return false;
    }
    ErrorCode code = null;
    if (t instanceof EtcdException e) {
      code = e.getErrorCode();
    }
    if (code == null || code == ErrorCode.UNKNOWN) {
      // Not converted by jetcd (e.g. a raw StatusRuntimeException from the channel).
      Status.Code status = Status.fromThrowable(t).getCode();
      return status == Status.Code.UNAVAILABLE
          || status == Status.Code.DEADLINE_EXCEEDED
          || status == Status.Code.CANCELLED;
    }
    return code == ErrorCode.UNAVAILABLE
        || code == ErrorCode.DEADLINE_EXCEEDED
        || code == ErrorCode.CANCELLED
        || code == ErrorCode.ABORTED;
  }

  /**
   * A one-line description of a jetcd / gRPC failure, with the messages of its causes: gRPC puts
   * the useful text (e.g. "authentication failed") on a cause of a bare {@code UNAUTHENTICATED}.
   */
  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder(one(t));
    int depth = 0;
    for (Throwable c = t.getCause(); c != null && c != t && depth < 4; c = c.getCause(), depth++) {
      String m = c.getMessage();
      if (m != null && sb.indexOf(m) < 0) {
        sb.append(" (").append(m).append(')');
      }
    }
    return sb.toString();
  }

  private static String one(Throwable t) {
    String message = t.getMessage();
    if (t instanceof EtcdException e) {
      return message != null && message.startsWith(e.getErrorCode().name()) ? message : e.getErrorCode() + " " + message;
    }
    return message == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + message;
  }
}
