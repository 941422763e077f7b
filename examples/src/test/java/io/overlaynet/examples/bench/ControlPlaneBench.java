package io.overlaynet.examples.bench;

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
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.etcd.testing.EtcdServer;
import io.overlaynet.hostgw.HostGwBackend;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkEvent;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.Subscription;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.vxlan.VxlanBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Control-plane benchmarks of the agent runtime with the vxlan or host-gw backend, in a fresh
 * one-host {@link TestCluster} (a network namespace with an underlay {@code eth0}). Needs root. Not
 * a test: run by hand (docs/BENCHMARKS.md, "Control plane").
 *
 * <pre>
 * snapshot BACKEND [SIZES] [RUNS]       e.g.  snapshot vxlan 100,1000,5000 3
 *     a store already holding N leases; time from Agent.start() to every route / ARP / FDB entry in
 *     the kernel (start() returns after the snapshot is programmed; the kernel is then dumped to
 *     check), and the backend's onSnapshot time (from the lease list reaching the backend).
 * events BACKEND STORE [PEERS] [COUNT]  e.g.  events vxlan etcd 1000 200
 *     with PEERS leases present, COUNT leases written one at a time, then deleted one at a time;
 *     latency from just before the store write to the kernel's route notification (RTM_NEWROUTE / RTM_DELROUTE, the last object the backend writes or removes).
 *     STORE is memory (the in-memory store) or etcd (a real etcd on loopback, started here, over
 *     the default JSON gateway transport) or etcd-grpc (the same over gRPC).
 * </pre>
 */
public final class ControlPlaneBench {

  private static final String PREFIX = "/coreos.com/network";
  /** The agent's own lease stays in 10.1.0.0/16; the benchmark's leases are 10.100.0.0/24 onwards. */
  private static final String CONFIG = "{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"SubnetMin\":\"10.1.0.0\","
      + "\"SubnetMax\":\"10.1.255.0\",\"Backend\":{\"Type\":\"%s\"}}";

  private ControlPlaneBench() {}

  /**
   * Runs one benchmark.
   *
   * @param args the mode and its arguments (see the class documentation)
   * @throws Exception if a step fails
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: snapshot BACKEND [SIZES] [RUNS] | events BACKEND STORE [PEERS] [COUNT]");
      System.exit(2);
    }
    String backend = args[1];
    if (args[0].equals("snapshot")) {
      int[] sizes = Arrays.stream((args.length > 2 ? args[2] : "100,1000,5000").split(","))
          .mapToInt(Integer::parseInt).toArray();
      int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
      for (int n : sizes) {
        snapshot(backend, n, runs);
      }
    } else if (args[0].equals("events")) {
      String store = args.length > 2 ? args[2] : "memory";
      int peers = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
      int count = args.length > 4 ? Integer.parseInt(args[4]) : 200;
      events(backend, store, peers, count);
    } else {
      System.err.println("unknown mode " + args[0]);
      System.exit(2);
    }
    System.exit(0); // etcd client threads are not daemons
  }

  // ------------------------------------------------------------------ snapshot

  private static void snapshot(String backend, int n, int runs) throws Exception {
    long[] ready = new long[runs];
    long[] onSnapshot = new long[runs];
    for (int r = 0; r < runs; r++) {
      Path dir = Files.createTempDirectory("cpbench");
      try (TestCluster cluster = TestCluster.builder().withHosts(1).build();
           InMemoryStore store = InMemoryStore.create()) {
        store.put(PREFIX + "/config", String.format(Locale.ROOT, CONFIG, backend), Store.NO_TTL);
        for (int i = 0; i < n; i++) {
          Lease l = lease(backend, i, 100);
          store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
        }
        TimingBackend timing = new TimingBackend(backendOf(backend).get());
        long t0 = System.nanoTime();
        Agent agent = agent(cluster.host(1), store, timing, dir);
        try {
          agent.start();
          ready[r] = System.nanoTime() - t0;
          onSnapshot[r] = timing.snapshotNanos;
          Counts c = Counts.read(cluster.host(1).netlink(), backend);
          c.require(n, backend);
        } finally {
          agent.close();
        }
      } finally {
        deleteRecursively(dir);
      }
      System.out.printf(Locale.ROOT, "  %s N=%d run %d: start -> all objects present %.0f ms, onSnapshot %.0f ms%n",
          backend, n, r + 1, ready[r] / 1e6, onSnapshot[r] / 1e6);
    }
    Arrays.sort(ready);
    Arrays.sort(onSnapshot);
    System.out.printf(Locale.ROOT, "RESULT snapshot %s N=%d: start -> all present median %.0f ms (min %.0f, max %.0f);"
        + " programming (onSnapshot) median %.0f ms (min %.0f, max %.0f)%n", backend, n, ready[runs / 2] / 1e6,
        ready[0] / 1e6, ready[runs - 1] / 1e6, onSnapshot[runs / 2] / 1e6, onSnapshot[0] / 1e6,
        onSnapshot[runs - 1] / 1e6);
  }

  // ------------------------------------------------------------------ events

  private static void events(String backend, String storeKind, int peers, int count) throws Exception {
    Path dir = Files.createTempDirectory("cpbench");
    EtcdServer etcd = null;
    Store store;
    if (storeKind.startsWith("etcd")) {
      etcd = EtcdServer.builder().start();
      store = EtcdStore.connect(etcd.options().withTransport(
          storeKind.equals("etcd-grpc") ? EtcdOptions.Transport.GRPC : EtcdOptions.Transport.HTTP));
    } else {
      store = InMemoryStore.create();
    }
    try (TestCluster cluster = TestCluster.builder().withHosts(1).build()) {
      store.put(PREFIX + "/config", String.format(Locale.ROOT, CONFIG, backend), Store.NO_TTL);
      for (int i = 0; i < peers; i++) {
        Lease l = lease(backend, i, 100);
        store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
      }
      Agent agent = agent(cluster.host(1), store, backendOf(backend).get(), dir);
      Map<Ip4Net, CompletableFuture<Long>> added = new ConcurrentHashMap<>();
      Map<Ip4Net, CompletableFuture<Long>> removed = new ConcurrentHashMap<>();
      try (Subscription sub = cluster.host(1).netlink().subscribeRoutes(SubscribeOptions.DEFAULT,
          new NetlinkListener<Route>() {
            @Override
            public void onEvent(NetlinkEvent<Route> e) {
              long now = System.nanoTime();
              if (e.value().dst() instanceof Ip4Net d) {
                Map<Ip4Net, CompletableFuture<Long>> m = e.type() == NetlinkEvent.Type.NEW ? added : removed;
                m.computeIfAbsent(d, k -> new CompletableFuture<>()).complete(now);
              }
            }

            @Override
            public void onError(NetlinkException error) {
              System.err.println("route subscription: " + error.getMessage());
            }
          })) {
        agent.start();
        Counts.read(cluster.host(1).netlink(), backend).require(peers, backend);
        int warmup = 20;
        measure(store, backend, 200, warmup, added, removed); // JIT warm-up, not reported
        long[][] t = measure(store, backend, 0, count, added, removed);
        Counts.read(cluster.host(1).netlink(), backend).require(peers, backend);
        System.out.printf(Locale.ROOT, "RESULT events %s store=%s peers=%d: %s; %s (%d warm-up pairs not counted)%n",
            backend, storeKind, peers, stats("add", t[0]), stats("remove", t[1]), warmup);
      } finally {
        agent.close();
      }
    } finally {
      store.close();
      if (etcd != null) {
        etcd.close();
      }
      deleteRecursively(dir);
    }
  }

  /** Adds {@code count} leases one at a time, then removes them; returns the latencies in ns. */
  private static long[][] measure(Store store, String backend, int offset, int count,
      Map<Ip4Net, CompletableFuture<Long>> added, Map<Ip4Net, CompletableFuture<Long>> removed) throws Exception {
    long[][] t = new long[2][count];
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      leases.add(lease(backend, offset + i, 200));
    }
    for (int i = 0; i < count; i++) {
      Lease l = leases.get(i);
      CompletableFuture<Long> f = added.computeIfAbsent(l.subnet(), k -> new CompletableFuture<>());
      long t0 = System.nanoTime();
      store.put(PREFIX + "/subnets/" + l.key(), LeaseCodec.toJson(l.attrs()), Store.NO_TTL);
      t[0][i] = f.get(10, TimeUnit.SECONDS) - t0;
      added.remove(l.subnet());
    }
    for (int i = 0; i < count; i++) {
      Lease l = leases.get(i);
      CompletableFuture<Long> f = removed.computeIfAbsent(l.subnet(), k -> new CompletableFuture<>());
      long t0 = System.nanoTime();
      store.delete(PREFIX + "/subnets/" + l.key());
      t[1][i] = f.get(10, TimeUnit.SECONDS) - t0;
      removed.remove(l.subnet());
    }
    return t;
  }

  private static String stats(String what, long[] ns) {
    long[] v = ns.clone();
    Arrays.sort(v);
    int p99 = (int) Math.ceil(0.99 * v.length) - 1;
    return String.format(Locale.ROOT, "%s median %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", what, v[v.length / 2] / 1e6,
        v[p99] / 1e6, v[v.length - 1] / 1e6, v.length);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Lease {@code i} of a block starting at 10.{@code block}.0.0: public IPs 192.0.2.20-219 (no such
   * host exists and nothing is sent), one VTEP MAC per lease.
   */
  static Lease lease(String backend, int i, int block) {
    Ip4Net subnet = Ip4Net.of(Ip4.of(10, block + i / 256, i % 256, 0), 24);
    LeaseAttrs attrs = LeaseAttrs.of(Ip4.of(192, 0, 2, 20 + i % 200));
    if (backend.equals("vxlan")) {
      attrs = attrs.withBackend("vxlan", String.format(Locale.ROOT, "{\"VNI\":1,\"VtepMAC\":\"02:42:%02x:%02x:%02x:%02x\"}",
          block, (i >> 16) & 255, (i >> 8) & 255, i & 255));
    } else {
      attrs = attrs.withBackend("host-gw", null);
    }
    return Lease.of(subnet, attrs);
  }

  static Supplier<Backend> backendOf(String type) {
    return switch (type) {
      case "vxlan" -> VxlanBackend::create;
      case "host-gw" -> HostGwBackend::create;
      default -> throw new IllegalArgumentException("backend must be vxlan or host-gw: " + type);
    };
  }

  static Agent agent(TestCluster.Host h, Store store, Backend backend, Path dir) throws IOException {
    Link eth0 = h.netlink().linkByName(h.underlayLink());
    ExternalInterface ext = ExternalInterface.ipv4(eth0.name(), eth0.index(), eth0.attrs().mtu(), h.underlayIp());
    return Agent.builder().store(store, PREFIX).backend(backend).externalInterface(ext)
        .threadFactory(inNamespace(h))
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("subnet.env")))
        .build();
  }

  private static ThreadFactory inNamespace(TestCluster.Host h) {
    return r -> {
      Thread t = new Thread(() -> {
        try {
          h.netns().run(() -> {
            r.run();
            return null;
          });
        } catch (NetlinkException e) {
          throw new IllegalStateException("cannot enter " + h.netns(), e);
        }
      });
      t.setDaemon(true);
      return t;
    };
  }

  /** The kernel objects of the benchmark's leases (10.100.0.0/16 and up) on one host. */
  record Counts(long routes, long arp, long fdb) {

    static Counts read(NetlinkHandle nl, String backend) throws NetlinkException {
      Ip4Net mine = Ip4Net.parse("10.1.0.0/16");
      long routes = nl.routeList(Family.V4).stream()
          .filter(r -> r.dst() instanceof Ip4Net d && d.prefixLength() == 24 && Ip4Net.parse("10.0.0.0/8").contains(d)
              && !mine.contains(d))
          .count();
      if (!backend.equals("vxlan")) {
        return new Counts(routes, 0, 0);
      }
      int dev = nl.linkByName("flannel.1").index();
      long arp = nl.neighList(dev, Family.V4).stream().filter(n -> n.isPermanent()).count();
      long fdb = nl.fdbList(dev).stream().filter(e -> e.dst() != null && e.isPermanent()).count();
      return new Counts(routes, arp, fdb);
    }

    void require(int n, String backend) {
      boolean ok = routes == n && (!backend.equals("vxlan") || (arp == n && fdb == n));
      if (!ok) {
        throw new IllegalStateException("expected " + n + " of each object, found " + this);
      }
    }
  }

  /** Wraps a backend to time its network's snapshot programming. */
  static final class TimingBackend implements Backend {
    private final Backend delegate;
    volatile long snapshotNanos;

    TimingBackend(Backend delegate) {
      this.delegate = delegate;
    }

    @Override
    public String type() {
      return delegate.type();
    }

    @Override
    public Network register(BackendContext context) {
      Network net = delegate.register(context);
      return new Network() {
        @Override
        public Lease lease() {
          return net.lease();
        }

        @Override
        public int mtu() {
          return net.mtu();
        }

        @Override
        public void onSnapshot(List<Lease> leases) {
          long t0 = System.nanoTime();
          net.onSnapshot(leases);
          snapshotNanos = System.nanoTime() - t0;
        }

        @Override
        public void onEvents(List<LeaseEvent> events) {
          net.onEvents(events);
        }

        @Override
        public void close() {
          net.close();
        }
      };
    }
  }

  static void deleteRecursively(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(root)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
