package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.StoreEvent;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import io.overlaynet.testing.TestThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The JSON gateway transport against a scripted server: HTTP framing, etcd's error answers, the
 * retry of a stale kept-alive connection, and watch messages including garbage. The same store
 * against a real etcd is covered by the {@code *IT} classes of this module.
 */
class GatewayStoreTest {

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
  }

  private static EtcdStore connect(FakeGateway gw) {
    return EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint()).withRequestTimeout(Duration.ofSeconds(2)));
  }

  @Test
  void aChunkedListingSplitAnywhereIsReadAndTheConnectionIsKeptAlive() throws Exception {
    String json = "{\"header\":{\"revision\":\"42\"},\"kvs\":["
        + "{\"key\":\"" + b64("/p/a") + "\",\"value\":\"" + b64("1") + "\",\"mod_revision\":\"7\"},"
        // proto3 JSON leaves an empty value out.
        + "{\"key\":\"" + b64("/p/b") + "\",\"mod_revision\":\"9\"}],\"count\":\"2\"}";
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      FakeGateway.chunkedHead(out);
      for (int i = 0; i < json.length(); i += 7) {
        FakeGateway.chunk(out, json.substring(i, Math.min(json.length(), i + 7)));
      }
      out.write("0\r\nX-Trailer: t\r\n\r\n".getBytes(UTF_8));
      out.flush();
      return true;
    }); EtcdStore store = connect(gw)) {
      Listing l = store.list("/p/");
      assertEquals(42, l.revision());
      assertEquals(List.of(new KeyValue("/p/a", "1", 7), new KeyValue("/p/b", "", 9)), l.entries());
      store.list("/p/");
      assertEquals(1, gw.connections.get(), "the second request reuses the connection");
      // The prefix's range end is the prefix with its last byte incremented: "/p/" -> "/p0".
      assertTrue(gw.requests.get(0).contains("\"range_end\":\"" + b64("/p0") + "\""), gw.requests.get(0));
    }
  }

  @Test
  void etcdsErrorAnswersBecomeErrorsThatSayWhatHappened() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      if (body.contains(b64("/refused"))) {
        FakeGateway.json(out, 400, "{\"error\":\"etcdserver: permission denied\",\"code\":7,"
            + "\"message\":\"etcdserver: permission denied\"}");
      } else {
        FakeGateway.json(out, 503, "{\"error\":\"etcdserver: no leader\",\"code\":14,\"message\":\"etcdserver: no leader\"}");
      }
      return true;
    }); EtcdStore store = connect(gw)) {
      StoreException refused = assertThrows(StoreException.class, () -> store.get("/refused"));
      assertFalse(refused instanceof StoreUnavailableException, refused.toString());
      assertTrue(refused.getMessage().contains("get /refused") && refused.getMessage().contains("permission denied")
          && refused.getMessage().contains(gw.endpoint()), refused.getMessage());
      StoreException noLeader = assertThrows(StoreException.class, () -> store.get("/other"));
      assertInstanceOf(StoreUnavailableException.class, noLeader);
      assertTrue(noLeader.getMessage().contains("no leader"), noLeader.getMessage());
    }
  }

  @Test
  void anEtcdWithoutTheGatewayIsNamedWithTheWayOut() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      out.write("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\n404 page not found\n"
          .getBytes(UTF_8));
      out.flush();
      return true;
    }); EtcdStore store = connect(gw)) {
      StoreException e = assertThrows(StoreException.class, () -> store.get("/x"));
      assertTrue(e.getMessage().contains("--etcd-transport=grpc") && e.getMessage().contains("gateway"), e.getMessage());
    }
  }

  @Test
  void anAnswerThatIsNotJsonOrNotHttpIsAnErrorNotACrash() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      if (body.contains(b64("/html"))) {
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>".getBytes(UTF_8));
      } else {
        out.write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(UTF_8));
      }
      out.flush();
      return body.contains(b64("/html"));
    }); EtcdStore store = connect(gw)) {
      StoreException html = assertThrows(StoreException.class, () -> store.get("/html"));
      assertTrue(html.getMessage().contains("not JSON"), html.getMessage());
      StoreException ssh = assertThrows(StoreException.class, () -> store.get("/ssh"));
      assertTrue(ssh.getMessage().contains("not an HTTP response"), ssh.getMessage());
    }
  }

  @Test
  void aKeptAliveConnectionThatEtcdClosedIsReplacedOnce() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"" + answered.incrementAndGet() + "\"},\"deleted\":\"1\"}");
      // Keep-alive is not refused, but the connection is dropped: the next request on it fails.
      return false;
    }); EtcdStore store = connect(gw)) {
      assertTrue(store.delete("/a"));
      Thread.sleep(100);
      assertTrue(store.delete("/b"), "sent again on a new connection");
      assertEquals(2, gw.connections.get());
      assertEquals(2, answered.get(), "each request answered once");
    }
  }

  @Test
  void createIsATransactionOnVersionZeroAndALostRaceRevokesTheLease() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      switch (path) {
        case "/v3/lease/grant" -> FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"5\"},\"ID\":\"7587\",\"TTL\":\"86400\"}");
        // "succeeded" left out: false, as proto3 JSON writes it.
        case "/v3/kv/txn" -> FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"5\"}}");
        default -> FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"5\"}}");
      }
      return true;
    }); EtcdStore store = connect(gw)) {
      assertEquals(Optional.empty(), store.create("/taken", "v", Duration.ofHours(24)));
      assertEquals(3, gw.requests.size(), gw.requests.toString());
      assertEquals("/v3/lease/grant {\"TTL\":\"86400\"}", gw.requests.get(0));
      String txn = gw.requests.get(1);
      assertTrue(txn.startsWith("/v3/kv/txn ") && txn.contains("\"target\":\"VERSION\"") && txn.contains("\"version\":\"0\"")
          && txn.contains("\"lease\":\"7587\"") && txn.contains(b64("/taken")), txn);
      assertEquals("/v3/lease/revoke {\"ID\":\"7587\"}", gw.requests.get(2));
    }
  }

  @Test
  void nothingListeningFailsWithinTheTimeoutNamingTheEndpoint() throws Exception {
    String endpoint;
    try (FakeGateway gw = new FakeGateway((path, body, out) -> false)) {
      endpoint = gw.endpoint();
    }
    try (EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(endpoint)
        .withRequestTimeout(Duration.ofMillis(600)))) {
      long start = System.nanoTime();
      StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> store.get("/k"));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // At least about the deadline (load only adds to that); at most well below the 5 s default,
      // so the 600 ms asked for is the deadline obeyed, with margin for a loaded machine.
      assertTrue(ms >= 500 && ms < 4_000, "retried until about the deadline: " + ms + " ms");
      assertTrue(e.getMessage().contains(endpoint) && e.getMessage().contains("get /k"), e.getMessage());
    }
  }

  @Test
  void anAuthTokenEtcdNoLongerAcceptsIsRenewedOnce() throws Exception {
    AtomicInteger tokens = new AtomicInteger();
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      if (path.equals("/v3/auth/authenticate")) {
        assertTrue(body.contains("\"name\":\"flannel\"") && body.contains("\"password\":\"pw\""), body);
        FakeGateway.json(out, 200, "{\"header\":{},\"token\":\"tok" + tokens.incrementAndGet() + "\"}");
      } else if (("tok" + tokens.get()).equals(FakeGateway.authorization()) && tokens.get() >= 2) {
        FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"3\"}}");
      } else {
        // The first token "expired" (etcd restarted); any request carrying it is refused.
        FakeGateway.json(out, 401, "{\"error\":\"etcdserver: invalid auth token\",\"code\":16,"
            + "\"message\":\"etcdserver: invalid auth token\"}");
      }
      return true;
    }); EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint())
        .withCredentials("flannel", "pw").withRequestTimeout(Duration.ofSeconds(2)))) {
      assertEquals(Optional.empty(), store.get("/k"));
      assertEquals(2, tokens.get(), "authenticated, refused, authenticated again: " + gw.requests);
      assertEquals(Optional.empty(), store.get("/k"));
      assertEquals(2, tokens.get(), "the new token is kept");
    }
  }

  @Test
  void credentialsForAnEtcdWithoutAuthAreNotAnError() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      if (path.equals("/v3/auth/authenticate")) {
        FakeGateway.json(out, 400, "{\"error\":\"etcdserver: authentication is not enabled\",\"code\":9,"
            + "\"message\":\"etcdserver: authentication is not enabled\"}");
      } else {
        assertEquals(null, FakeGateway.authorization());
        FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"3\"}}");
      }
      return true;
    }); EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint())
        .withCredentials("flannel", "pw"))) {
      assertEquals(Optional.empty(), store.get("/k"));
      assertEquals(Optional.empty(), store.get("/k"));
      assertEquals(1, gw.requests.stream().filter(r -> r.startsWith("/v3/auth/")).count(), gw.requests.toString());
    }
  }

  @Test
  void afterAnEtcdRestartEveryKeptAliveConnectionIsStaleAndNoCallFails() throws Exception {
    java.util.concurrent.CountDownLatch three = new java.util.concurrent.CountDownLatch(3);
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      three.countDown();
      try {
        // Hold the first answers until three requests are in, so that three connections exist.
        three.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"3\"}}");
      return true;
    }); EtcdStore store = connect(gw)) {
      List<Thread> callers = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Thread t = new Thread(() -> store.get("/k"));
        t.start();
        callers.add(t);
      }
      for (Thread t : callers) {
        t.join(5_000);
      }
      assertEquals(3, gw.connections.get());
      gw.dropConnections();
      Thread.sleep(100);
      for (int i = 0; i < 4; i++) {
        assertEquals(Optional.empty(), store.get("/k" + i), "call " + i);
      }
      assertEquals(4, gw.connections.get(), "one new connection; the stale ones were all dropped at once");
    }
  }

  @Test
  void aMemberAnsweringUnavailableIsNoLongerTriedFirst() throws Exception {
    try (FakeGateway sick = new FakeGateway((path, body, out) -> {
      FakeGateway.json(out, 503, "{\"error\":\"etcdserver: no leader\",\"code\":14,\"message\":\"etcdserver: no leader\"}");
      return true;
    }); FakeGateway healthy = new FakeGateway((path, body, out) -> {
      FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"3\"}}");
      return true;
    }); EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(sick.endpoint(), healthy.endpoint()))) {
      assertThrows(StoreUnavailableException.class, () -> store.get("/k"));
      assertEquals(Optional.empty(), store.get("/k"), "the next call goes to the other member");
      assertEquals(Optional.empty(), store.get("/k"));
      assertEquals(1, sick.requests.size());
    }
  }

  @Test
  void aWatchCancelledForItsTokenGetsANewTokenBeforeItIsOpenedAgain() throws Exception {
    AtomicInteger tokens = new AtomicInteger();
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      if (path.equals("/v3/auth/authenticate")) {
        FakeGateway.json(out, 200, "{\"token\":\"tok" + tokens.incrementAndGet() + "\"}");
        return true;
      }
      FakeGateway.chunkedHead(out);
      if ("tok1".equals(FakeGateway.authorization())) {
        FakeGateway.chunk(out, "{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":true,\"canceled\":true,"
            + "\"cancel_reason\":\"etcdserver: invalid auth token\"}}\n");
        return false;
      }
      FakeGateway.chunk(out, "{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":true}}\n");
      return false;
    }); GatewayClient client = new GatewayClient(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint())
        .withCredentials("flannel", "pw"))) {
      GatewayWatchSource source = new GatewayWatchSource(client);
      Recorder first = new Recorder();
      try (WatchSource.Stream s = source.open("/p/", 0, first)) {
        String broken = first.next();
        assertTrue(broken.startsWith("broken ") && broken.contains("invalid auth token"), broken);
      }
      Recorder second = new Recorder();
      try (WatchSource.Stream s = source.open("/p/", 0, second)) {
        assertEquals("created 5", second.next());
      }
      assertEquals(2, tokens.get());
    }
  }

  /** Records what a watch stream reports. */
  private static final class Recorder implements WatchSource.Sink {
    final BlockingQueue<String> calls = new LinkedBlockingQueue<>();

    @Override
    public void onCreated(long headerRevision) {
      calls.add("created " + headerRevision);
    }

    @Override
    public void onProgress(long headerRevision) {
      calls.add("progress " + headerRevision);
    }

    @Override
    public void onEvents(List<StoreEvent> events) {
      calls.add("events " + events);
    }

    @Override
    public void onCompacted(long compactRevision) {
      calls.add("compacted " + compactRevision);
    }

    @Override
    public void onRefused(String reason, Throwable cause) {
      calls.add("refused " + reason);
    }

    @Override
    public void onBroken(String reason, Throwable cause) {
      calls.add("broken " + reason);
    }

    String next() throws InterruptedException {
      String c = calls.poll(5, TimeUnit.SECONDS);
      if (c == null) {
        throw new AssertionError("no report within 5 s");
      }
      return c;
    }
  }

  @Test
  void watchMessagesAreClassifiedAndGarbageBreaksTheStream() throws Exception {
    String put = "{\"kv\":{\"key\":\"" + b64("/p/a") + "\",\"value\":\"" + b64("x") + "\",\"mod_revision\":\"11\"}}";
    String del = "{\"type\":\"DELETE\",\"kv\":{\"key\":\"" + b64("/p/b") + "\",\"mod_revision\":\"11\"}}";
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      FakeGateway.chunkedHead(out);
      FakeGateway.chunk(out, "{\"result\":{\"header\":{\"revision\":\"10\"},\"created\":true}}\n");
      // One message split over two chunks, with both events of revision 11.
      String events = "{\"result\":{\"header\":{\"revision\":\"11\"},\"events\":[" + put + "," + del + "]}}\n";
      FakeGateway.chunk(out, events.substring(0, 30));
      FakeGateway.chunk(out, events.substring(30));
      FakeGateway.chunk(out, "{\"result\":{\"header\":{\"revision\":\"15\"}}}\n");
      FakeGateway.chunk(out, "not json at all\n");
      return false;
    }); GatewayClient client = new GatewayClient(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint()))) {
      Recorder r = new Recorder();
      WatchSource.Stream stream = new GatewayWatchSource(client).open("/p/", 11, r);
      try {
        assertEquals("created 10", r.next());
        assertEquals("events " + List.of(StoreEvent.put("/p/a", "x", 11), StoreEvent.delete("/p/b", 11)), r.next());
        assertEquals("progress 15", r.next());
        String broken = r.next();
        assertTrue(broken.startsWith("broken ") && broken.contains("not JSON"), broken);
        assertTrue(gw.requests.get(0).contains("\"start_revision\":\"11\"") && gw.requests.get(0).contains("progress_notify"),
            gw.requests.get(0));
      } finally {
        stream.close();
      }
    }
  }

  @Test
  void aCompactedOrFailedWatchIsReportedAsSuch() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      FakeGateway.chunkedHead(out);
      if (body.contains("\"start_revision\":\"3\"")) {
        FakeGateway.chunk(out, "{\"result\":{\"header\":{\"revision\":\"90\"},\"canceled\":true,\"compact_revision\":\"50\","
            + "\"cancel_reason\":\"mvcc: required revision has been compacted\"}}\n");
      } else {
        FakeGateway.chunk(out, "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\","
            + "\"http_status\":\"Service Unavailable\"}}\n");
      }
      return false;
    }); GatewayClient client = new GatewayClient(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint()))) {
      Recorder compacted = new Recorder();
      try (WatchSource.Stream s = new GatewayWatchSource(client).open("/p/", 3, compacted)) {
        assertEquals("compacted 50", compacted.next());
      }
      Recorder noLeader = new Recorder();
      try (WatchSource.Stream s = new GatewayWatchSource(client).open("/p/", 60, noLeader)) {
        String broken = noLeader.next();
        assertTrue(broken.startsWith("broken UNAVAILABLE etcdserver: no leader"), broken);
      }
    }
  }

  @Test
  void aClosedStreamEndsItsThreadAndReportsNothing() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      FakeGateway.chunkedHead(out);
      FakeGateway.chunk(out, "{\"result\":{\"header\":{\"revision\":\"1\"},\"created\":true}}\n");
      try {
        Thread.sleep(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    }); GatewayClient client = new GatewayClient(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint()))) {
      Recorder r = new Recorder();
      // Streams of the other tests in this JVM may still be ending: only this one's thread counts.
      TestThreads before = TestThreads.named("overlaynet-etcd-watch-stream-");
      WatchSource.Stream s = new GatewayWatchSource(client).open("/p/", 0, r);
      assertEquals("created 1", r.next());
      Set<Thread> threads = before.started();
      assertEquals(1, threads.size(), threads.toString());
      s.close();
      // The server holds the response open for 30 s: a thread that ends sooner was ended by close().
      TestThreads.assertEnd(threads, Duration.ofSeconds(10));
      assertEquals(null, r.calls.poll(200, TimeUnit.MILLISECONDS), "nothing reported after close");
    }
  }

  @Test
  void rangeEndOfAPrefix() throws IOException {
    assertEquals(b64("/coreos.com/network/subnets0"), GatewayStore.rangeEnd("/coreos.com/network/subnets/"));
    assertEquals(Base64.getEncoder().encodeToString(new byte[] {'a', 'c'}),
        GatewayStore.rangeEnd(new String(new byte[] {'a', 'b'}, UTF_8)));
  }
}
