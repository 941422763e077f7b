package io.overlaynet.agent;

import static io.overlaynet.agent.AgentTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseCodec;
import io.overlaynet.PeerStatus;
import io.overlaynet.ReconcileListener;
import io.overlaynet.RepairKind;
import io.overlaynet.SubnetManager;
import io.overlaynet.SubnetManagerOptions;
import io.overlaynet.agent.AgentState.Phase;
import io.overlaynet.agent.AgentState.Problem;
import io.overlaynet.agent.AgentTest.FakeBackend;
import io.overlaynet.ip.Ip4;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreUnavailableException;
import io.overlaynet.testing.FaultyStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: the agent's state, its metrics snapshot and its data-plane view, as an embedder sees them. */
class AgentStateTest {

  static final String PREFIX = AgentTest.PREFIX;
  final InMemoryStore store = InMemoryStore.create();
  final FaultyStore faulty = FaultyStore.over(store);
  final List<AgentState> heard = new CopyOnWriteArrayList<>();

  @TempDir
  Path dir;

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** An agent whose lease lives 2 s and is renewed every second, so renewals happen within a test. */
  Agent.Builder agent(FakeBackend backend, AgentListener extra) {
    SubnetManager manager = SubnetManager.overStore(faulty, SubnetManagerOptions.DEFAULT.withPrefix(PREFIX)
        .withLeaseTtl(Duration.ofSeconds(2)).withRenewMargin(Duration.ofSeconds(1))
        .withRenewRetryDelay(Duration.ofMillis(100)));
    return Agent.builder().subnetManager(manager).backend(backend)
        .externalInterface(ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")))
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("subnet.env"))
            .withConfigRetry(Duration.ofMillis(50)))
        .listener(new AgentListener() {
          @Override
          public void onStateChanged(AgentState state) {
            heard.add(state);
            extra.onStateChanged(state);
          }

          @Override
          public void onPeerAdded(Lease lease) {
            extra.onPeerAdded(lease);
          }
        });
  }

  void config() {
    store.put(PREFIX + "/config", "{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.128.0\",\"Backend\":{\"Type\":\"fake\"}}",
        Store.NO_TTL);
  }

  void peer(int third) {
    store.put(PREFIX + "/subnets/10.5." + third + ".0-24", LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("192.0.2." + third))),
        Store.NO_TTL);
  }

  boolean heardPhase(Phase p, Problem problem) {
    return heard.stream().anyMatch(s -> s.phase() == p && (problem == null || s.problems().contains(problem)));
  }

  @Test
  void waitsForTheConfigIsReadyIsDegradedWhileRenewalsFailAndIsReadyAgain() throws Exception {
    try (Agent a = agent(new FakeBackend(), new AgentListener() {}).build()) {
      assertEquals(Phase.STARTING, a.state().phase());
      a.startAsync();
      awaitTrue(() -> a.state().phase() == Phase.WAITING_FOR_CONFIG);
      assertTrue(a.state().reason().orElseThrow().contains("network config"), a.state().toString());
      config();
      a.startAsync().get(10, TimeUnit.SECONDS);
      awaitTrue(() -> a.state().phase() == Phase.READY);
      assertTrue(a.state().reason().isEmpty());
      assertTrue(a.metrics().leaseExpiry().isPresent(), "the lease's expiry is known");

      // etcd goes away: renewals fail, the agent says it is degraded and why, and counts them.
      faulty.cutOff();
      awaitTrue(() -> a.state().phase() == Phase.DEGRADED);
      assertEquals(Set.of(Problem.RENEWAL_FAILING), a.state().problems());
      assertTrue(a.state().reason().orElseThrow().contains("etcd cannot be reached"), a.state().toString());
      awaitTrue(() -> a.metrics().renewalFailures() >= 1);
      long renewed = a.metrics().renewals();

      faulty.reconnect();
      awaitTrue(() -> a.state().phase() == Phase.READY);
      awaitTrue(() -> a.metrics().renewals() > renewed);
    }
    awaitTrue(() -> heardPhase(Phase.STOPPED, null));
    List<Phase> phases = heard.stream().map(AgentState::phase).distinct().toList();
    assertEquals(List.of(Phase.WAITING_FOR_CONFIG, Phase.STARTING, Phase.READY, Phase.DEGRADED, Phase.STOPPED), phases,
        "the listener heard every phase in order: " + heard);
  }

  @Test
  void aBrokenWatchDegradesTheAgentUntilTheReListAndIsCounted() throws Exception {
    config();
    try (Agent a = agent(new FakeBackend(), new AgentListener() {}).build()) {
      a.start();
      // The store cannot be reached when the watch breaks: the re-list waits, the agent is degraded.
      faulty.failWith(new StoreUnavailableException("injected: etcd cannot be reached"), Set.of("list", "watch"));
      faulty.endWatches(new StoreUnavailableException("injected: watch stream closed"));
      awaitTrue(() -> a.state().problems().contains(Problem.WATCH_LOST));
      assertEquals(Phase.DEGRADED, a.state().phase());
      int failed = faulty.failedCalls();
      awaitTrue(() -> faulty.failedCalls() >= failed + 2);
      assertEquals(1, a.metrics().watchReconnects(), "one broken watch, however many re-list attempts");
      assertEquals(0, a.metrics().relists());
      faulty.reconnect();
      awaitTrue(() -> a.state().phase() == Phase.READY);
      assertTrue(a.metrics().relists() >= 1, "the re-list is counted");
    }
  }

  @Test
  void metricsCountLeaseEventsPeersLatencyAndRepairsAndRepairFailuresDegrade() throws Exception {
    config();
    FakeBackend backend = new FakeBackend();
    try (Agent a = agent(backend, new AgentListener() {}).build()) {
      a.start();
      assertEquals(0, a.metrics().peers());
      peer(7);
      peer(8);
      awaitTrue(() -> a.metrics().peers() == 2);
      store.delete(PREFIX + "/subnets/10.5.7.0-24");
      awaitTrue(() -> a.metrics().peers() == 1);
      AgentMetrics m = a.metrics();
      assertEquals(3, m.leaseEventsApplied());
      assertTrue(m.eventToKernel().count() >= 1 && m.eventToKernel().count() <= 3, m.eventToKernel().toString());
      assertEquals(m.eventToKernel().count(), m.eventToKernel().cumulativeCount(m.eventToKernel().upperBounds().size()));

      ReconcileListener repairs = backend.context.reconcileListener();
      repairs.onRepaired(RepairKind.ROUTE_RESTORED, 2);
      repairs.onRepaired(RepairKind.DEVICE_RECREATED, 1);
      assertEquals(2L, a.metrics().repairs().get(RepairKind.ROUTE_RESTORED));
      assertEquals(1L, a.metrics().repairs().get(RepairKind.DEVICE_RECREATED));
      assertEquals(0L, a.metrics().repairs().get(RepairKind.FDB_RESTORED), "every kind is present");

      repairs.onReconcileFailed(new IllegalStateException("injected: RTNETLINK answers: Operation not permitted"));
      assertEquals(Phase.DEGRADED, a.state().phase());
      assertEquals(Set.of(Problem.REPAIR_FAILING), a.state().problems());
      assertTrue(a.state().reason().orElseThrow().contains("Operation not permitted"));
      assertEquals(1, a.metrics().repairFailures());
      repairs.onReconciled();
      assertEquals(Phase.READY, a.state().phase());
    }
  }

  @Test
  void aSlowListenerDelaysNeitherTheDataPlaneNorTheMetrics() throws Exception {
    config();
    FakeBackend backend = new FakeBackend();
    CountDownLatch release = new CountDownLatch(1);
    List<String> added = new CopyOnWriteArrayList<>();
    try (Agent a = agent(backend, new AgentListener() {
      @Override
      public void onPeerAdded(Lease lease) {
        try {
          release.await(); // a metrics pipeline that hangs
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        added.add(lease.subnet().toString());
      }
    }).build()) {
      a.start();
      for (int i = 1; i <= 3; i++) {
        peer(i);
      }
      awaitTrue(() -> backend.network.events.size() == 3);
      awaitTrue(() -> a.metrics().peers() == 3);
      assertTrue(added.isEmpty(), "the listener is still blocked");
      release.countDown();
      awaitTrue(() -> added.size() == 3);
      assertEquals(List.of("10.5.1.0/24", "10.5.2.0/24", "10.5.3.0/24"), added, "in order");
    }
  }

  @Test
  void theDataPlaneViewListsEveryPeerAlsoForABackendThatCannotDescribeIt() throws Exception {
    config();
    peer(9);
    try (Agent a = agent(new FakeBackend(), new AgentListener() {}).build()) {
      assertTrue(a.dataPlane().peers().isEmpty(), "nothing before the start");
      a.start();
      awaitTrue(() -> a.dataPlane().peers().size() == 1);
      PeerStatus p = a.dataPlane().peers().get(0);
      assertEquals("10.5.9.0/24", p.lease().subnet().toString());
      assertTrue(p.entries().isEmpty());
      assertFalse(a.state().phase() == Phase.DEGRADED);
    }
  }
}
