package io.overlaynet.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.LeaseEvent;
import io.overlaynet.Network;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.InMemoryStoreSeams;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import io.overlaynet.testing.FaultyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's start-up sequence, peer relay, lease loss and stop, over a fake backend. */
class AgentTest {

  static final String PREFIX = "/coreos.com/network";
  final InMemoryStore store = InMemoryStore.create();

  @TempDir
  Path dir;

  @AfterEach
  void closeStore() {
    store.close();
  }

  Agent.Builder agent(int host, FakeBackend backend) {
    return agent(host, backend, store);
  }

  Agent.Builder agent(int host, FakeBackend backend, Store over) {
    ExternalInterface ext = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2." + host));
    return Agent.builder().store(over, PREFIX).backend(backend).externalInterface(ext)
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("h" + host + "/subnet.env"))
            .withConfigRetry(Duration.ofMillis(50)));
  }

  /** The agents lease from 10.5.128.0 up, so peer subnets the tests write below it never collide. */
  void config() {
    store.put(PREFIX + "/config",
        "{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.128.0\",\"Backend\":{\"Type\":\"fake\"}}", Store.NO_TTL);
  }

  @Test
  void startsWritesSubnetFileAndRelaysOnlyRemoteLeases() throws Exception {
    config();
    store.put(PREFIX + "/subnets/10.5.9.0-24", LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.99"))), Store.NO_TTL);
    FakeBackend backend = new FakeBackend();
    List<String> heard = new CopyOnWriteArrayList<>();
    try (Agent a = agent(11, backend).listener(new AgentListener() {
      @Override
      public void onReady(Lease lease) {
        heard.add("ready " + lease.subnet());
      }

      @Override
      public void onPeerAdded(Lease lease) {
        heard.add("peer+ " + lease.subnet());
      }

      @Override
      public void onPeerRemoved(Lease lease) {
        heard.add("peer- " + lease.subnet());
      }
    }).build()) {
      Lease lease = a.start();
      String env = Files.readString(dir.resolve("h11/subnet.env"));
      assertEquals("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=" + lease.subnet().address().plus(1) + "/24\n"
          + "FLANNEL_MTU=1490\nFLANNEL_IPMASQ=false\n", env);
      FakeNetwork net = backend.network;
      assertEquals(List.of("10.5.9.0/24"), net.snapshot.stream().map(l -> l.subnet().toString()).toList(),
          "the snapshot holds the remote lease only");
      // A second node joins, then leaves.
      try (Agent b = agent(12, new FakeBackend()).build()) {
        Lease other = b.start();
        awaitTrue(() -> heard.contains("peer+ " + other.subnet()));
        assertTrue(net.events.stream().noneMatch(e -> e.lease().subnet().equals(lease.subnet())),
            "the node's own lease must not reach its backend");
        store.delete(PREFIX + "/subnets/" + other.key());
        awaitTrue(() -> heard.contains("peer- " + other.subnet()));
      }
      assertTrue(heard.contains("ready " + lease.subnet()));
    }
  }

  @Test
  void waitsForTheConfigThenStarts() throws Exception {
    try (Agent a = agent(11, new FakeBackend()).build()) {
      new Thread(() -> {
        sleep(300);
        config();
      }).start();
      Lease lease = a.start();
      assertTrue(lease.subnet().toString().startsWith("10.5."));
    }
  }

  @Test
  void closeEndsTheWaitForAConfigPromptly() throws Exception {
    Agent a = agent(11, new FakeBackend()).build();
    new Thread(() -> {
      sleep(200);
      a.close();
    }).start();
    long t0 = System.nanoTime();
    AgentException e = assertThrows(AgentException.class, a::start);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "close must end the wait, not the retry period");
  }

  @Test
  void restartKeepsTheSubnet() throws Exception {
    config();
    Lease first;
    try (Agent a = agent(11, new FakeBackend()).build()) {
      first = a.start();
    }
    store.delete(PREFIX + "/subnets/" + first.key()); // even with the lease gone, subnet.env brings it back
    try (Agent a = agent(11, new FakeBackend()).build()) {
      assertEquals(first.subnet(), a.start().subnet());
    }
  }

  @Test
  void aDeletedLeaseIsTakenBackAndTheAgentRunsOn() throws Exception {
    config();
    FakeBackend backend = new FakeBackend();
    try (Agent a = agent(11, backend).build()) {
      Lease lease = a.start();
      store.delete(PREFIX + "/subnets/" + lease.key());
      awaitTrue(() -> store.get(PREFIX + "/subnets/" + lease.key()).isPresent());
      Thread.sleep(200);
      assertFalse(a.stopped().isDone(), "the agent must not stop for a lease it could take back");
      assertFalse(backend.network.closed, "the data plane stays");
    }
  }

  @Test
  void aSubnetAnotherNodeHoldsNowStopsTheAgentWithAReason() throws Exception {
    config();
    FakeBackend backend = new FakeBackend();
    Agent a = agent(11, backend).build();
    Lease lease = a.start();
    store.put(PREFIX + "/subnets/" + lease.key(), LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.99"))),
        Store.NO_TTL);
    ExecutionException e = assertThrows(ExecutionException.class, () -> a.stopped().get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("another node holds that subnet"), e.getCause().getMessage());
    assertTrue(backend.network.closed);
  }

  @Test
  void startsOnceAStoreThatWasUnreachableAnswers() throws Exception {
    config();
    FaultyStore faulty = FaultyStore.over(store);
    faulty.cutOff();
    try (Agent a = agent(11, new FakeBackend(), faulty).build()) {
      CompletableFuture<Lease> started = CompletableFuture.supplyAsync(a::start);
      awaitTrue(() -> faulty.failedCalls() >= 3);
      assertFalse(started.isDone(), "the agent must wait for the store, not fail");
      faulty.reconnect();
      Lease lease = started.get(15, TimeUnit.SECONDS);
      assertTrue(store.get(PREFIX + "/subnets/" + lease.key()).isPresent());
    }
  }

  @Test
  void anUnreachableStoreWhileRegisteringIsWaitedFor() throws Exception {
    config();
    FaultyStore faulty = FaultyStore.over(store);
    // The config is read, then the store goes away while the backend acquires its lease.
    faulty.failWith(new StoreUnavailableException("injected: etcd cannot be reached"), Set.of("list", "create"));
    try (Agent a = agent(11, new FakeBackend(), faulty).build()) {
      CompletableFuture<Lease> started = CompletableFuture.supplyAsync(a::start);
      awaitTrue(() -> faulty.failedCalls() >= 3);
      assertFalse(started.isDone(), "the agent must wait for the store, not fail");
      faulty.reconnect();
      assertTrue(started.get(15, TimeUnit.SECONDS).subnet().toString().startsWith("10.5."));
    }
  }

  @Test
  void aLeaseWatchTheStoreRefusesForGoodStopsTheAgentWithTheReason() throws Exception {
    config();
    FaultyStore faulty = FaultyStore.over(store);
    Agent a = agent(11, new FakeBackend(), faulty).build();
    a.start();
    faulty.failWith(new StoreException("injected: etcdserver: permission denied"), Set.of());
    faulty.endWatches(new StoreException("injected: etcdserver: permission denied"));
    ExecutionException e = assertThrows(ExecutionException.class, () -> a.stopped().get(15, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("permission denied"), e.getCause().getMessage());
  }

  @Test
  void aReListReachesTheBackendAsASnapshotAndTheListenerAsChanges() throws Exception {
    config();
    store.put(PREFIX + "/subnets/10.5.9.0-24", LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.99"))), Store.NO_TTL);
    FakeBackend backend = new FakeBackend();
    List<String> heard = new CopyOnWriteArrayList<>();
    try (Agent a = agent(11, backend).listener(new AgentListener() {
      @Override
      public void onPeerAdded(Lease lease) {
        heard.add("peer+ " + lease.subnet());
      }

      @Override
      public void onPeerRemoved(Lease lease) {
        heard.add("peer- " + lease.subnet());
      }
    }).build()) {
      a.start();
      InMemoryStoreSeams.pauseWatches(store);
      store.delete(PREFIX + "/subnets/10.5.9.0-24");
      store.put(PREFIX + "/subnets/10.5.10.0-24", LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2.98"))),
          Store.NO_TTL);
      store.compact(store.revision());
      InMemoryStoreSeams.resumeWatches(store);
      FakeNetwork net = backend.network;
      awaitTrue(() -> net.snapshots.size() == 2);
      assertEquals(List.of("10.5.10.0/24"), net.snapshots.get(1).stream().map(l -> l.subnet().toString()).toList(),
          "the backend reconciles against the whole re-listed network");
      awaitTrue(() -> heard.contains("peer- 10.5.9.0/24") && heard.contains("peer+ 10.5.10.0/24"));
      assertEquals(List.of("peer+ 10.5.9.0/24", "peer- 10.5.9.0/24", "peer+ 10.5.10.0/24"), heard);
    }
  }

  @Test
  void startAsyncCompletesWithTheLeaseAndEveryStartIsTheSameOne() throws Exception {
    config();
    try (Agent a = agent(11, new FakeBackend()).build()) {
      CompletableFuture<Lease> first = a.startAsync();
      assertTrue(first == a.startAsync(), "a second startAsync returns the same future");
      Lease lease = a.start();
      assertEquals(lease, first.get(10, TimeUnit.SECONDS));
      assertEquals(lease, a.start(Duration.ofSeconds(1)), "start after start: the same lease, no second start");
      assertEquals(1, store.list(PREFIX + "/subnets/").entries().size());
    }
  }

  @Test
  void startWithATimeoutClosesAnAgentThatIsNotReadyInTime() {
    Agent a = agent(11, new FakeBackend()).build(); // no config: it would wait for ever
    AgentException e = assertThrows(AgentException.class, () -> a.start(Duration.ofMillis(300)));
    assertTrue(e.getMessage().contains("not ready within"), e.getMessage());
    assertTrue(a.stopped().isDone(), "nothing stays half-started");
  }

  @Test
  void aListenerThatThrowsBreaksNeitherTheStartNorTheEvents() throws Exception {
    config();
    FakeBackend backend = new FakeBackend();
    List<String> heard = new CopyOnWriteArrayList<>();
    try (Agent a = agent(11, backend).listener(new AgentListener() {
      @Override
      public void onLeaseAcquired(Lease lease) {
        throw new IllegalStateException("injected: a bug in the embedder");
      }

      @Override
      public void onReady(Lease lease) {
        throw new IllegalStateException("injected: a bug in the embedder");
      }

      @Override
      public void onPeerAdded(Lease lease) {
        heard.add("peer+ " + lease.subnet());
        throw new IllegalStateException("injected: a bug in the embedder");
      }
    }).build()) {
      a.start();
      for (int i = 0; i < 2; i++) {
        store.put(PREFIX + "/subnets/10.5." + (100 + i) + ".0-24",
            LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2." + (100 + i)))), Store.NO_TTL);
      }
      FakeNetwork net = backend.network;
      awaitTrue(() -> net.events.size() == 2);
      // The backend gets a batch first, the listener each event after it: wait for the listener too.
      awaitTrue(() -> heard.size() >= 2);
      assertEquals(2, heard.size(), "the listener heard both, although it threw at the first: " + heard);
      assertFalse(a.stopped().isDone());
    }
  }

  @Test
  void unknownBackendIsAClearError() {
    store.put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"warp\"}}", Store.NO_TTL);
    Agent a = Agent.builder().store(store, PREFIX)
        .externalInterface(ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")))
        .options(AgentOptions.DEFAULT.withoutSubnetFile().withForwardRules(false)).build();
    AgentException e = assertThrows(AgentException.class, a::start);
    assertTrue(e.getMessage().startsWith("unknown backend type: warp"), e.getMessage());
    assertTrue(a.stopped().isDone());
  }

  @Test
  void aThreadFactoryWhoseThreadDiesIsReportedNotAwaitedForEver() {
    config();
    Agent a = agent(11, new FakeBackend()).threadFactory(r -> new Thread(() -> {
      throw new IllegalStateException("cannot enter the namespace");
    }, "broken-start")).build();
    AgentException e = assertThrows(AgentException.class, a::start);
    assertTrue(e.getMessage().contains("broken-start"), e.getMessage());
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void awaitTrue(java.util.function.BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met in time");
      Thread.sleep(10);
    }
  }

  /** Issue 14 / B12: IPv6-only agents, each with its own subnet, re-found after a restart; flannel's subnet.env. */
  @Test
  void ipv6OnlyAgentsTakeTheirOwnSubnetsAndWriteTheIpv6SubnetFile() throws Exception {
    store.put(PREFIX + "/config", "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\","
        + "\"Backend\":{\"Type\":\"fake\"}}", Store.NO_TTL);
    Lease[] first = new Lease[3];
    for (int h = 1; h <= 2; h++) {
      ExternalInterface ext = new ExternalInterface("eth0", 2, 1500, Ip4.ANY, Ip4.ANY,
          Optional.of(Ip6.parse("2001:db8::1" + h)), Optional.of(Ip6.parse("2001:db8::1" + h)));
      for (int run = 0; run < 2; run++) {
        try (Agent a = Agent.builder().store(store, PREFIX).backend(new FakeBackend()).externalInterface(ext)
            .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("v6h" + h + "/subnet.env"))
                .withConfigRetry(Duration.ofMillis(50))).build()) {
          Lease lease = a.start();
          Ip6Net v6 = lease.ipv6Subnet().orElseThrow();
          assertTrue(lease.subnet().isEmpty(), "no IPv4 subnet: " + lease);
          assertTrue(store.get(PREFIX + "/subnets/0.0.0.0-24&" + v6.address() + "-64").isPresent(), "flanneld's key");
          assertEquals("FLANNEL_IPV6_NETWORK=fd00:5::/56\nFLANNEL_IPV6_SUBNET=" + v6.address().plus(1) + "/64\n"
              + "FLANNEL_MTU=1490\nFLANNEL_IPMASQ=false\n", Files.readString(dir.resolve("v6h" + h + "/subnet.env")));
          if (run == 0) {
            first[h] = lease;
          } else {
            assertEquals(first[h].ipv6Subnet(), lease.ipv6Subnet(), "h" + h + " re-finds its lease after a restart");
          }
        }
      }
    }
    assertNotEquals(first[1].ipv6Subnet(), first[2].ipv6Subnet(), "flanneld gives both nodes the first one's lease (B12)");
  }

  static final class FakeBackend implements Backend {
    volatile FakeNetwork network;
    volatile BackendContext context;

    @Override
    public String type() {
      return "fake";
    }

    @Override
    public Network register(BackendContext ctx) {
      context = ctx;
      LeaseAttrs attrs = LeaseAttrs.of(ctx.externalInterface().extAddr()).withBackend("fake", null);
      if (ctx.config().enableIpv6()) {
        attrs = attrs.withPublicIpv6(ctx.externalInterface().extV6Addr().orElseThrow());
      }
      Lease lease = ctx.subnetManager().acquireLease(attrs);
      network = new FakeNetwork(lease, ctx.externalInterface().mtu() - 10);
      return network;
    }
  }

  static final class FakeNetwork implements Network {
    final Lease lease;
    final int mtu;
    final List<Lease> snapshot = new CopyOnWriteArrayList<>();
    final List<List<Lease>> snapshots = new CopyOnWriteArrayList<>();
    final List<LeaseEvent> events = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    FakeNetwork(Lease lease, int mtu) {
      this.lease = lease;
      this.mtu = mtu;
    }

    @Override
    public Lease lease() {
      return lease;
    }

    @Override
    public int mtu() {
      return mtu;
    }

    @Override
    public void onSnapshot(List<Lease> leases) {
      snapshots.add(List.copyOf(leases));
      snapshot.clear();
      snapshot.addAll(leases);
    }

    @Override
    public void onEvents(List<LeaseEvent> batch) {
      events.addAll(batch);
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
