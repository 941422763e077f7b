package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** flanneld's /healthz and /readyz answers, on loopback. */
class HealthServerTest {

  static HttpResponse<String> get(int port, String path) throws Exception {
    HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthzAlwaysReadyzOnceReady() throws Exception {
    try (HealthServer h = HealthServer.start(new InetSocketAddress("127.0.0.1", 0))) {
      HttpResponse<String> health = get(h.port(), "/healthz");
      assertEquals(200, health.statusCode());
      assertEquals("flanneld is running", health.body());
      HttpResponse<String> notReady = get(h.port(), "/readyz");
      assertEquals(503, notReady.statusCode());
      assertEquals("flanneld is not ready yet", notReady.body());
      h.setReady(true);
      HttpResponse<String> ready = get(h.port(), "/readyz");
      assertEquals(200, ready.statusCode());
      assertEquals("flanneld is ready", ready.body());
    }
  }
}
