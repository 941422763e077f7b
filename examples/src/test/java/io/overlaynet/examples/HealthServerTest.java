package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's HTTP endpoints on loopback: flanneld's /healthz and /readyz, and /metrics and /status. */
class HealthServerTest {

  static final String PREFIX = "/coreos.com/network";

  @TempDir
  Path dir;

  static HttpResponse<String> get(int port, String path) throws Exception {
    HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static void await(BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met in time");
      Thread.sleep(10);
    }
  }

  /** A backend that programs nothing: the endpoints are about the agent. */
  static final class NullBackend implements Backend {
    @Override
    public String type() {
      return "null";
    }

    @Override
    public Network register(BackendContext ctx) {
      Lease lease = ctx.subnetManager().acquireLease(LeaseAttrs.of(ctx.externalInterface().extAddr())
          .withBackend("null", null));
      return new Network() {
        @Override
        public Lease lease() {
          return lease;
        }

        @Override
        public int mtu() {
          return 1450;
        }

        @Override
        public void onSnapshot(List<Lease> leases) {}

        @Override
        public void onEvents(List<LeaseEvent> events) {}

        @Override
        public void close() {}
      };
    }
  }

  Agent agent(Store store) {
    return Agent.builder().store(store, PREFIX).backend(new NullBackend())
        .externalInterface(ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")))
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("subnet.env"))
            .withConfigRetry(Duration.ofMillis(50)))
        .build();
  }

  static long peersGauge(int port) throws Exception {
    String body = get(port, "/metrics").body();
    return body.lines().filter(l -> l.startsWith("overlaynet_peers{backend=\"null\"}"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
        .orElseThrow(() -> new AssertionError("no overlaynet_peers in\n" + body));
  }

  @Test
  void healthzAlwaysReadyzWhileTheAgentRunsNotAfterItsLeaseIsLost() throws Exception {
    try (InMemoryStore store = InMemoryStore.create();
        HealthServer h = HealthServer.start(new InetSocketAddress("127.0.0.1", 0))) {
      HttpResponse<String> health = get(h.port(), "/healthz");
      assertEquals(200, health.statusCode());
      assertEquals("flanneld is running", health.body());
      assertEquals(503, get(h.port(), "/readyz").statusCode());
      Agent a = agent(store);
      h.attach(a);
      a.startAsync();
      HttpResponse<String> notReady = get(h.port(), "/readyz");
      assertEquals(503, notReady.statusCode(), "no config yet: not ready");
      assertEquals("flanneld is not ready yet", notReady.body());
      store.put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"null\"}}", Store.NO_TTL);
      Lease lease = a.startAsync().get(10, TimeUnit.SECONDS);
      HttpResponse<String> ready = get(h.port(), "/readyz");
      assertEquals(200, ready.statusCode());
      assertEquals("flanneld is ready", ready.body());
      // Another node takes the subnet: the lease is lost, the agent stops, the node is not ready.
      store.put(PREFIX + "/subnets/" + lease.key(), LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.99"))),
          Store.NO_TTL);
      await(() -> a.stopped().isDone());
      assertEquals(503, get(h.port(), "/readyz").statusCode());
      assertEquals(200, get(h.port(), "/healthz").statusCode());
      a.close();
    }
  }

  @Test
  void metricsCountPeersAndStatusListsThem() throws Exception {
    try (InMemoryStore store = InMemoryStore.create();
        HealthServer h = HealthServer.start(new InetSocketAddress("127.0.0.1", 0))) {
      assertEquals(503, get(h.port(), "/metrics").statusCode());
      store.put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"null\"}}", Store.NO_TTL);
      try (Agent a = agent(store)) {
        h.attach(a);
        a.start();
        HttpResponse<String> m = get(h.port(), "/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"),
            m.headers().toString());
        assertTrue(m.body().contains("overlaynet_agent_state{state=\"ready\"} 1"), m.body());
        assertTrue(m.body().contains("# TYPE overlaynet_lease_renewals_total counter"), m.body());
        assertTrue(m.body().contains("overlaynet_event_to_kernel_seconds_bucket{le=\"+Inf\"} 0"), m.body());
        assertTrue(m.body().contains("overlaynet_repairs_total{kind=\"route_restored\"} 0"), m.body());
        assertTrue(m.body().contains("overlaynet_lease_expiry_timestamp_seconds "), m.body());
        assertEquals(0, peersGauge(h.port()));
        store.put(PREFIX + "/subnets/10.5.7.0-24", LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.7"))
            .withBackend("null", null)), Store.NO_TTL);
        await(() -> {
          try {
            return peersGauge(h.port()) == 1;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        assertTrue(get(h.port(), "/metrics").body().contains("overlaynet_event_to_kernel_seconds_count 1"));

        JsonObject status = JsonParser.parseString(get(h.port(), "/status").body()).getAsJsonObject();
        assertEquals("READY", status.get("state").getAsString());
        assertEquals("null", status.get("backend").getAsString());
        assertEquals(a.lease().orElseThrow().subnet().toString(),
            status.getAsJsonObject("lease").get("subnet").getAsString());
        assertEquals(1, status.getAsJsonArray("peers").size());
        JsonObject peer = status.getAsJsonArray("peers").get(0).getAsJsonObject();
        assertEquals("10.5.7.0/24", peer.get("subnet").getAsString());
        assertEquals("192.0.2.7", peer.get("publicIp").getAsString());
        assertEquals(0, status.get("drift").getAsInt());
      }
    }
  }
}
