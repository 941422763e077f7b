package io.overlaynet.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * flanneld's health endpoints: {@code /healthz} answers 200 {@code flanneld is running} while the
 * process runs; {@code /readyz} answers 200 {@code flanneld is ready} once the data plane is up and
 * {@code subnet.env} is written, 503 {@code flanneld is not ready yet} before. The texts are
 * flanneld's, so existing probes keep working.
 */
final class HealthServer implements AutoCloseable {

  private final HttpServer server;
  private volatile boolean ready;

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  /** Starts listening on {@code address}. */
  static HealthServer start(InetSocketAddress address) {
    try {
      HttpServer s = HttpServer.create(address, 16);
      HealthServer h = new HealthServer(s);
      s.createContext("/healthz", ex -> h.answer(ex, 200, "flanneld is running"));
      s.createContext("/readyz", ex -> {
        if (h.ready) {
          h.answer(ex, 200, "flanneld is ready");
        } else {
          h.answer(ex, 503, "flanneld is not ready yet");
        }
      });
      s.setExecutor(Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "overlaynet-healthz");
        t.setDaemon(true);
        return t;
      }));
      s.start();
      return h;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for healthz on " + address, e);
    }
  }

  /** Returns the bound port (useful with port 0). */
  int port() {
    return server.getAddress().getPort();
  }

  void setReady(boolean value) {
    ready = value;
  }

  private void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
