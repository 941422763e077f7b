package io.overlaynet.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.overlaynet.agent.Agent;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP endpoints on {@code --healthz-ip:--healthz-port}:
 * <ul>
 *   <li>{@code /healthz}: 200 {@code flanneld is running} while the process runs (flanneld's);
 *   <li>{@code /readyz}: 200 {@code flanneld is ready} while the agent runs (its rules are in place
 *       and {@code subnet.env} is written; also while degraded, since traffic flows), 503
 *       {@code flanneld is not ready yet} before that and once it stops, e.g. after its lease was
 *       lost (flannel HEAD's meaning and texts, so existing probes keep working);
 *   <li>{@code /metrics}: the agent's metrics in the Prometheus text format;
 *   <li>{@code /status}: the agent's state, lease and per-peer data plane with drift, as JSON
 *       ({@link StatusReport}); what {@code overlay-agent status} asks for.
 * </ul>
 * A scrape reads counters only; {@code /status} reads the kernel without holding the backend's
 * lock (lease events are not held up; its dumps share the backend's netlink socket, so a write
 * may wait for one). Two threads serve, and a client that stops sending or reading is cut off
 * after 10 / 30 s, so slow clients do not keep a probe waiting.
 */
final class HealthServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HealthServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private volatile Agent agent;

  private HealthServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts listening on {@code address}; until {@link #attach} it answers not ready. */
  static HealthServer start(InetSocketAddress address) {
    // The JDK's server waits for ever on a client that stops sending or reading; with two threads,
    // two such clients would keep every probe waiting. Its timeouts are these (seconds), read once.
    System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "10"));
    System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
    HttpServer s;
    try {
      s = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for healthz on " + address, e);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "overlaynet-healthz-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    HealthServer h = new HealthServer(s, executor);
    s.createContext("/healthz", ex -> h.answer(ex, 200, "text/plain; charset=utf-8", text("flanneld is running")));
    s.createContext("/readyz", ex -> {
      Agent a = h.agent;
      if (a != null && a.state().running()) {
        h.answer(ex, 200, "text/plain; charset=utf-8", text("flanneld is ready"));
      } else {
        h.answer(ex, 503, "text/plain; charset=utf-8", text("flanneld is not ready yet"));
      }
    });
    s.createContext("/metrics", ex -> {
      Agent a = h.agent;
      if (a == null) {
        h.answer(ex, 503, "text/plain; charset=utf-8", text("the agent has not started yet"));
        return;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
      PrometheusMetrics.write(out, a.metrics(), a.state(), a.networkConfig().map(c -> c.backend().type()).orElse(""));
      h.answer(ex, 200, PrometheusMetrics.CONTENT_TYPE, out.toByteArray());
    });
    s.createContext("/status", ex -> {
      Agent a = h.agent;
      if (a == null) {
        h.answer(ex, 503, "text/plain; charset=utf-8", text("the agent has not started yet"));
        return;
      }
      StatusReport.Prepared report;
      try {
        report = StatusReport.prepare(a);
      } catch (RuntimeException e) {
        log.warn("healthz: /status failed: {}", e.toString());
        h.answer(ex, 500, "text/plain; charset=utf-8", text("cannot build the status: " + e.getMessage()));
        return;
      }
      h.stream(ex, "application/json", out -> StatusReport.write(report, out));
    });
    s.setExecutor(executor);
    s.start();
    return h;
  }

  /** Serves {@code agent}'s readiness, metrics and status from now on. */
  void attach(Agent agent) {
    this.agent = agent;
  }

  /** Returns the bound port (useful with port 0). */
  int port() {
    return server.getAddress().getPort();
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void answer(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        ex.sendResponseHeaders(405, -1);
        return;
      }
      ex.getResponseHeaders().set("Content-Type", contentType);
      boolean head = "HEAD".equals(ex.getRequestMethod());
      ex.sendResponseHeaders(status, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    } catch (RuntimeException e) {
      // A status that cannot be built must not kill the server's thread; the client sees the close.
      log.warn("healthz: {} {} failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
    }
  }

  /** What writes a streamed body. */
  private interface Body {
    void write(Writer out) throws IOException;
  }

  /** Answers 200 with a body written as it is produced (chunked), for a large /status. */
  private void stream(HttpExchange ex, String contentType, Body body) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().set("Allow", "GET");
        ex.sendResponseHeaders(405, -1);
        return;
      }
      ex.getResponseHeaders().set("Content-Type", contentType);
      ex.sendResponseHeaders(200, 0);
      try (Writer out = new BufferedWriter(new OutputStreamWriter(ex.getResponseBody(), StandardCharsets.UTF_8))) {
        body.write(out);
      }
    } catch (RuntimeException e) {
      // The status line is sent: the client sees a truncated body, which no JSON parser accepts.
      log.warn("healthz: {} {} failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
