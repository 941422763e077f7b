package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.overlaynet.impl.Backoff;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocketFactory;

/**
 * Requests to etcd's v3 JSON gateway: endpoints in turn, TLS, authentication, a small pool of
 * kept-alive connections, a deadline on every call, and the mapping of failures to store
 * exceptions (this transport's one place for it). Internal: used by {@link GatewayStore}.
 *
 * <p>Retries: while no endpoint accepts a connection, the call retries (100 ms doubling to 1 s)
 * until its deadline, as etcd restarting is the common case. A request already sent is not
 * re-sent, except on a new connection when a kept-alive one failed before any byte of an answer
 * arrived (etcd had closed it before reading the request: the usual race of idle connections,
 * and after an etcd restart every idle connection is such a one, so the pool is emptied then).
 * An auth token etcd no longer accepts is renewed once per call. An endpoint that answers
 * "unavailable" (e.g. a member without a leader) or not at all loses its place as the first one
 * tried, so the next call and the next watch go to another member.
 *
 * <p>Network namespace: every connection is opened by the store's own "home" thread, started when
 * the store is created, so all connections live in the network namespace of the thread that
 * called {@link EtcdStore#connect} — not in that of whichever thread makes a call (an embedding
 * program may run its agents on threads inside other namespaces). Reads and writes then work
 * from any thread. Connections are opened one at a time on that thread.
 */
final class GatewayClient implements AutoCloseable {

  /** The gateway path prefix of etcd 3.4 and later. */
  static final String API = "/v3";

  /** Largest response accepted: gRPC's usual limit is too small for a large cluster's listing. */
  private static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

  private static final int MAX_IDLE = 4;

  private static final AtomicInteger CLIENT_IDS = new AtomicInteger();

  /** gRPC status codes the gateway reports in {@code "code"}. */
  static final int CANCELLED = 1;
  static final int INVALID_ARGUMENT = 3;
  static final int DEADLINE_EXCEEDED = 4;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int ABORTED = 10;
  static final int OUT_OF_RANGE = 11;
  static final int UNIMPLEMENTED = 12;
  static final int UNAVAILABLE = 14;
  static final int UNAUTHENTICATED = 16;

  /** The token "value" when etcd has authentication switched off: send no header. */
  private static final String NO_TOKEN = "";

  private final EtcdOptions options;
  private final SSLSocketFactory tls;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ArrayDeque<HttpConnection> idle = new ArrayDeque<>();
  private final Set<HttpConnection> busy = ConcurrentHashMap.newKeySet();
  private final Object authLock = new Object();

  /** The thread that opens every connection (see the class comment); started here, never replaced. */
  private final ThreadPoolExecutor home;

  /** Index of the endpoint tried first: the last one that worked. */
  private volatile int preferred;
  private volatile String token;

  GatewayClient(EtcdOptions options) {
    this.options = options;
    this.tls = options.usesTls() ? TlsSupport.jdkContext(options).getSocketFactory() : null;
    int id = CLIENT_IDS.incrementAndGet();
    this.home = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "overlaynet-etcd-connect-" + id);
      t.setDaemon(true);
      return t;
    });
    // Started now, on the creating thread, so that it inherits this thread's network namespace.
    home.prestartAllCoreThreads();
  }

  EtcdOptions options() {
    return options;
  }

  boolean isClosed() {
    return closed.get();
  }

  void checkOpen(String what) {
    if (closed.get()) {
      throw new StoreException(what + ": the store is closed");
    }
  }

  /**
   * Sends one unary request and returns etcd's JSON answer.
   *
   * @param method the gateway path below {@code /v3}, e.g. {@code /kv/range}
   * @param what describes the call for messages (operation and key); the endpoints are added
   * @throws StoreUnavailableException if etcd cannot be reached or answer in time
   * @throws StoreException if etcd refuses the request
   */
  JsonObject call(String method, JsonObject request, String what) {
    Supplier<String> describe = describer(what);
    checkOpen("etcd " + what);
    long deadline = System.nanoTime() + options.requestTimeout().toNanos();
    byte[] body = request.toString().getBytes(UTF_8);
    boolean reauthenticated = false;
    while (true) {
      String auth = authorization(deadline, describe);
      Answer answer = exchange(method, body, auth, deadline, describe);
      if (answer.status == 200) {
        return answer.json;
      }
      GatewayError error = GatewayError.of(answer.status, answer.json, answer.text);
      if (auth != null && !reauthenticated && error.isInvalidToken()) {
        // Simple tokens expire (etcd's --auth-token-ttl, 5 min) and die with an etcd restart; a
        // change of users or roles makes etcd refuse older tokens: get a new one, send again.
        reauthenticated = true;
        invalidateToken(auth);
        continue;
      }
      if (error.isTransient()) {
        demote(answer.endpoint);
      }
      throw error.toException(describe.get(), answer.endpoint);
    }
  }

  /** A streaming request's open connection, its response head, and the auth token it used. */
  record Stream(HttpConnection connection, HttpConnection.Response response, String token) {}

  /**
   * Opens a streaming request (the watch) on a connection of its own, and returns it with the
   * response head read; the caller reads the body and closes the connection with
   * {@link #closeStream}.
   *
   * @param opened called with the connection as soon as it exists, so that the caller can close
   *     it while this method still waits
   * @throws StoreUnavailableException if etcd cannot be reached or answer in time
   * @throws StoreException if etcd refuses the request
   */
  Stream openStream(String method, JsonObject request, String what, Consumer<HttpConnection> opened) {
    Supplier<String> describe = describer(what);
    checkOpen("etcd " + what);
    long deadline = System.nanoTime() + options.requestTimeout().toNanos();
    String auth = authorization(deadline, describe);
    HttpConnection c = connect(deadline, describe);
    busy.add(c);
    opened.accept(c);
    try {
      c.post(API + method, request.toString().getBytes(UTF_8), headers(auth, true));
      HttpConnection.Response response = c.readResponse(readTimeoutMs(deadline));
      if (response.status() != 200) {
        byte[] text = c.readBody(response, MAX_RESPONSE_BYTES, deadline);
        GatewayError error = GatewayError.of(response.status(), parse(text), new String(text, UTF_8));
        if (auth != null && error.isInvalidToken()) {
          invalidateToken(auth);
        }
        if (error.isTransient()) {
          demote(c.endpoint());
        }
        throw error.toException(describe.get(), c.endpoint());
      }
      // From now on the stream may be silent for as long as nothing changes.
      c.setReadTimeout(0);
      return new Stream(c, response, auth);
    } catch (IOException e) {
      release(c, false);
      throw ioFailure(e, describe, c.endpoint());
    } catch (RuntimeException e) {
      release(c, false);
      throw e;
    }
  }

  /** Releases a stream's connection (closes it). */
  void closeStream(HttpConnection c) {
    release(c, false);
  }

  /**
   * Forgets {@code staleToken} if it is still the current one, so that the next request
   * authenticates again (a watch that etcd cancelled for its token).
   */
  void invalidateToken(String staleToken) {
    if (staleToken == null) {
      return;
    }
    synchronized (authLock) {
      if (staleToken.equals(token)) {
        token = null;
      }
    }
  }

  /**
   * Makes another endpoint the first one tried after {@code endpoint} failed with "unavailable"
   * or a timeout, and drops idle connections to it.
   */
  void demote(URI endpoint) {
    List<URI> endpoints = options.endpoints();
    if (endpoints.size() < 2) {
      return;
    }
    int index = endpoints.indexOf(endpoint);
    if (index >= 0 && index == preferred) {
      preferred = (index + 1) % endpoints.size();
    }
    List<HttpConnection> dropped = new ArrayList<>();
    synchronized (idle) {
      idle.removeIf(c -> c.endpoint().equals(endpoint) && dropped.add(c));
    }
    dropped.forEach(HttpConnection::close);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<HttpConnection> all;
    synchronized (idle) {
      all = new ArrayList<>(idle);
      idle.clear();
    }
    all.addAll(busy);
    // Closing the sockets fails every call blocked on one at once.
    all.forEach(HttpConnection::close);
    home.shutdownNow();
  }

  // ---------------------------------------------------------------- internals

  /** A response: status, the parsed JSON (null if the body is not JSON) and the raw text. */
  private record Answer(int status, JsonObject json, String text, URI endpoint) {}

  private Supplier<String> describer(String what) {
    return () -> "etcd " + what + " (endpoints " + options.endpoints() + ")";
  }

  private Answer exchange(String method, byte[] body, String auth, long deadline, Supplier<String> describe) {
    HttpConnection c = pooled();
    if (c == null) {
      c = connect(deadline, describe);
      busy.add(c);
    }
    while (true) {
      try {
        c.post(API + method, body, headers(auth, false));
        HttpConnection.Response response = c.readResponse(readTimeoutMs(deadline));
        byte[] bytes = c.readBody(response, MAX_RESPONSE_BYTES, deadline);
        String text = new String(bytes, UTF_8);
        JsonObject json = parse(bytes);
        if (response.status() == 200 && json == null) {
          throw new StoreException(describe.get() + ": etcd at " + c.endpoint()
              + " answered with something that is not JSON: " + abbreviate(text));
        }
        release(c, response.reusable());
        return new Answer(response.status(), json, text, c.endpoint());
      } catch (HttpConnection.TooLargeException e) {
        release(c, false);
        throw new StoreException(describe.get() + ": " + e.getMessage(), e);
      } catch (IOException e) {
        release(c, false);
        if (c.wasUsedBefore() && !c.gotAnswer() && !(e instanceof InterruptedIOException) && !closed.get()) {
          // etcd closed this kept-alive connection before it read the request, so it was not
          // carried out: send it again on a new connection. The other idle connections date from
          // the same time (e.g. before an etcd restart): drop them too.
          dropIdle();
          c = connect(deadline, describe);
          busy.add(c);
          continue;
        }
        if (e instanceof SocketTimeoutException) {
          demote(c.endpoint());
        }
        throw ioFailure(e, describe, c.endpoint());
      } catch (RuntimeException e) {
        release(c, false);
        throw e;
      }
    }
  }

  private String[] headers(String auth, boolean requireLeader) {
    List<String> h = new ArrayList<>(2);
    if (auth != null) {
      h.add("Authorization: " + auth);
    }
    if (requireLeader) {
      // etcd's "hasleader" gRPC metadata: a member cut off from its cluster fails the watch
      // instead of keeping a stream open that silently delivers nothing.
      h.add("Grpc-Metadata-Hasleader: true");
    }
    return h.toArray(String[]::new);
  }

  /**
   * Returns the auth token to send, authenticating first if needed; null without credentials or
   * when etcd has authentication switched off (as etcd's own client, the agent then carries on).
   */
  private String authorization(long deadline, Supplier<String> describe) {
    if (options.username().isEmpty()) {
      return null;
    }
    synchronized (authLock) {
      if (token == null) {
        JsonObject request = new JsonObject();
        request.addProperty("name", options.username().get());
        request.addProperty("password", options.password().orElse(""));
        Answer answer = exchange("/auth/authenticate", request.toString().getBytes(UTF_8), null, deadline, describe);
        if (answer.status != 200) {
          GatewayError error = GatewayError.of(answer.status, answer.json, answer.text);
          if (error.message().contains("authentication is not enabled")) {
            token = NO_TOKEN;
          } else {
            throw error.toException(describe.get() + ": authenticating as " + options.username().get(),
                answer.endpoint);
          }
        } else {
          JsonElement t = answer.json.get("token");
          if (t == null || !t.isJsonPrimitive()) {
            throw new StoreException(describe.get() + ": etcd answered the authentication without a token: "
                + abbreviate(answer.text));
          }
          token = t.getAsString();
        }
      }
      return token.isEmpty() ? null : token;
    }
  }

  /** Takes a kept-alive connection, or returns null if there is none. */
  private HttpConnection pooled() {
    synchronized (idle) {
      HttpConnection c = idle.pollFirst();
      if (c != null) {
        busy.add(c);
        c.markReused();
      }
      return c;
    }
  }

  private void dropIdle() {
    List<HttpConnection> dropped;
    synchronized (idle) {
      dropped = new ArrayList<>(idle);
      idle.clear();
    }
    dropped.forEach(HttpConnection::close);
  }

  private void release(HttpConnection c, boolean keep) {
    if (!busy.remove(c)) {
      return;
    }
    if (keep && !closed.get()) {
      synchronized (idle) {
        if (idle.size() < MAX_IDLE && !closed.get()) {
          idle.addFirst(c);
          return;
        }
      }
    }
    c.close();
  }

  /** Connects to the first endpoint that accepts, starting with the preferred one, until the deadline. */
  private HttpConnection connect(long deadline, Supplier<String> describe) {
    List<URI> endpoints = options.endpoints();
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    IOException last = null;
    URI lastEndpoint = endpoints.get(0);
    while (true) {
      SSLException untrusted = null;
      URI untrustedEndpoint = null;
      int start = preferred;
      for (int i = 0; i < endpoints.size(); i++) {
        int index = (start + i) % endpoints.size();
        URI endpoint = endpoints.get(index);
        int remaining = remainingMs(deadline);
        if (remaining <= 0 || closed.get()) {
          break;
        }
        try {
          HttpConnection c = openAtHome(endpoint, (int) Math.min(remaining, options.connectTimeout().toMillis()),
              deadline);
          preferred = index;
          return c;
        } catch (SSLException e) {
          if (isCertificateProblem(e)) {
            // Retrying does not change a certificate; another member may still have a good one.
            untrusted = e;
            untrustedEndpoint = endpoint;
          } else {
            // e.g. etcd restarting in the middle of the handshake.
            last = e;
            lastEndpoint = endpoint;
          }
        } catch (IOException e) {
          last = e;
          lastEndpoint = endpoint;
        }
      }
      if (closed.get()) {
        throw new StoreException(describe.get() + ": the store was closed");
      }
      if (untrusted != null) {
        throw new StoreException(describe.get() + ": TLS with " + untrustedEndpoint + " failed: "
            + describeIo(untrusted), untrusted);
      }
      long sleep = Math.min(backoff.nextMillis(), remainingMs(deadline));
      if (sleep <= 0) {
        throw ioFailure(last != null ? last : new SocketTimeoutException("connect timed out"), describe, lastEndpoint);
      }
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException(describe.get() + ": interrupted", e);
      }
    }
  }

  private static boolean isCertificateProblem(SSLException e) {
    if (e instanceof SSLPeerUnverifiedException) {
      return true;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof CertificateException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Opens a connection on the home thread. The caller waits until the deadline at most; a
   * connection that is opened after the caller gave up is closed by whichever side loses the
   * hand-off.
   */
  private HttpConnection openAtHome(URI endpoint, int timeoutMs, long deadline) throws IOException {
    Object abandoned = new Object();
    AtomicReference<Object> handoff = new AtomicReference<>();
    Future<HttpConnection> opening;
    try {
      opening = home.submit(() -> {
        HttpConnection c = HttpConnection.open(endpoint, tls, timeoutMs);
        if (!handoff.compareAndSet(null, c)) {
          c.close();
        }
        return c;
      });
    } catch (RejectedExecutionException e) {
      throw new IOException("the store is closed", e);
    }
    try {
      // The socket's connect timeout and the TLS handshake's read timeout both are timeoutMs.
      return opening.get(Math.min(2L * timeoutMs, remainingMs(deadline)) + 100, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(String.valueOf(cause), cause);
    } catch (TimeoutException | InterruptedException e) {
      if (!handoff.compareAndSet(null, abandoned)) {
        // Opened just now: nobody will use it.
        ((HttpConnection) handoff.get()).close();
      }
      opening.cancel(false);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while connecting to " + endpoint);
      }
      throw new SocketTimeoutException("connecting to " + endpoint + " took longer than " + timeoutMs + " ms");
    }
  }

  private StoreException ioFailure(IOException e, Supplier<String> describe, URI endpoint) {
    if (closed.get()) {
      return new StoreException(describe.get() + ": the store was closed", e);
    }
    if (e instanceof SocketTimeoutException) {
      return new StoreUnavailableException(describe.get() + ": no answer from " + endpoint + " within "
          + options.requestTimeout().toMillis() + " ms", e);
    }
    return new StoreUnavailableException(describe.get() + ": etcd unavailable: " + endpoint + ": " + describeIo(e), e);
  }

  private static String describeIo(IOException e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
  }

  /** Milliseconds left until the deadline; 0 once it has passed. */
  private static int remainingMs(long deadline) {
    long ms = (deadline - System.nanoTime()) / 1_000_000;
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, ms));
  }

  /** A socket read timeout for the time left: at least 1 ms, as 0 would mean "no limit". */
  private static int readTimeoutMs(long deadline) {
    return Math.max(1, remainingMs(deadline));
  }

  /** Parses a JSON object, or returns null if the text is not one. */
  static JsonObject parse(byte[] bytes) {
    try {
      JsonElement e = JsonParser.parseString(new String(bytes, UTF_8));
      return e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (JsonParseException | IllegalStateException e) {
      return null;
    }
  }

  static String abbreviate(String s) {
    String one = s.strip().replace('\n', ' ');
    return one.length() <= 200 ? one : one.substring(0, 200) + "...";
  }
}
