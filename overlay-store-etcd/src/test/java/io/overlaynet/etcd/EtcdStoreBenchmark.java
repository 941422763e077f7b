package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.overlaynet.etcd.testing.EtcdServer;
import io.overlaynet.store.Listing;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures the figures in README.md: listing 5,000 leases and receiving 5,000 lease events through
 * a watch, against a real local etcd (started here, data on /dev/shm). Not a test; not run by
 * {@code mvn verify}. Run:
 *
 * <pre>
 * mvn -B -o -q -pl overlay-store-etcd test-compile exec:java \
 *     -Dexec.mainClass=io.overlaynet.etcd.EtcdStoreBenchmark -Dexec.classpathScope=test
 * </pre>
 *
 * <p>Optional arguments: the number of leases (default 5000) and the transport, {@code http} (the
 * default) or {@code grpc}, e.g. {@code -Dexec.args="5000 grpc"}.
 */
@SuppressWarnings("try") // try-with-resources for watches that are only closed
public final class EtcdStoreBenchmark {

  private EtcdStoreBenchmark() {}

  /** Runs the benchmark and prints the results. */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    EtcdOptions.Transport transport = args.length > 1
        ? EtcdOptions.Transport.valueOf(args[1].toUpperCase(java.util.Locale.ROOT)) : EtcdOptions.Transport.HTTP;
    if (!EtcdServer.isInstalled()) {
      System.err.println("needs /usr/bin/etcd and /usr/bin/etcdctl: apt-get install etcd-server etcd-client");
      System.exit(2);
    }
    try (EtcdServer etcd = EtcdServer.builder().start();
        EtcdStore store = EtcdStore.connect(etcd.options().withTransport(transport)
            .withRequestTimeout(Duration.ofSeconds(30)))) {
      System.out.printf("etcd %s over %s, %d leases, %d cores, Java %s%n", etcd.endpoint(), transport, n,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));

      // 1. The flannel write path, sequential: grant a 24 h lease + txn(version == 0) per key.
      String created = "/bench/created/subnets/";
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        store.create(created + subnetKey(i), lease(i), Duration.ofHours(24));
      }
      report("create %d leases with a 24 h TTL (sequential grant + txn)", n, System.nanoTime() - t0);

      // 2. list 5,000 leases.
      String subnets = "/coreos.com/network/subnets/";
      long before = store.list(subnets).revision();
      pipelinedPuts(etcd, subnets, n);
      for (int i = 0; i < 5; i++) {
        check(store.list(subnets).entries().size() == n, "listing size");
      }
      long[] listTimes = new long[20];
      for (int i = 0; i < listTimes.length; i++) {
        long s = System.nanoTime();
        Listing l = store.list(subnets);
        listTimes[i] = System.nanoTime() - s;
        check(l.entries().size() == n, "listing size");
      }
      Arrays.sort(listTimes);
      System.out.printf("list %d leases: median %.1f ms, min %.1f ms, max %.1f ms (20 runs after 5 warm-up)%n", n,
          listTimes[10] / 1e6, listTimes[0] / 1e6, listTimes[19] / 1e6);

      // 3a. receive 5,000 events replayed from history (pure watch receive path).
      for (int round = 0; round < 3; round++) {
        long took = receive(store, subnets, before + 1, n, null);
        report("watch: receive %d events replayed from history (round " + (round + 1) + ")", n, took);
      }

      // 3b. receive 5,000 live events while another client writes them (pipelined).
      String live = "/bench/live/subnets/";
      long liveRev = store.list(live).revision();
      long took = receive(store, live, liveRev + 1, n, () -> pipelinedPuts(etcd, live, n));
      report("watch: %d live puts (pipelined writer) -> last event received", n, took);

      // 3c. live events from sequential store.put calls (one round trip each).
      String seq = "/bench/seq/subnets/";
      long seqRev = store.list(seq).revision();
      took = receive(store, seq, seqRev + 1, n, () -> {
        for (int i = 0; i < n; i++) {
          store.put(seq + subnetKey(i), lease(i), Store.NO_TTL);
        }
      });
      report("watch: %d sequential store.put -> last event received", n, took);
    }
  }

  /** Watches from {@code from} until {@code n} events arrived; returns the elapsed nanoseconds. */
  private static long receive(EtcdStore store, String prefix, long from, int n, Runnable writer) throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger count = new AtomicInteger();
    Store.WatchListener listener = new Store.WatchListener() {
      @Override
      public void onEvents(List<StoreEvent> events) {
        if (count.addAndGet(events.size()) >= n) {
          done.countDown();
        }
      }

      @Override
      public void onCompacted(long compactRevision) {
        throw new IllegalStateException("compacted");
      }
    };
    long start = System.nanoTime();
    try (Store.Watch w = store.watch(prefix, from, listener)) {
      if (writer != null) {
        writer.run();
      }
      check(done.await(120, TimeUnit.SECONDS), "received only " + count.get() + " events");
      long took = System.nanoTime() - start;
      check(count.get() == n, "exactly " + n + " events, got " + count.get());
      return took;
    }
  }

  private static void pipelinedPuts(EtcdServer etcd, String prefix, int n) {
    try (Client c = Client.builder().endpoints(etcd.endpoint()).build()) {
      List<CompletableFuture<?>> pending = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        pending.add(c.getKVClient().put(ByteSequence.from(prefix + subnetKey(i), UTF_8),
            ByteSequence.from(lease(i), UTF_8)));
        if (pending.size() >= 500) {
          pending.forEach(CompletableFuture::join);
          pending.clear();
        }
      }
      pending.forEach(CompletableFuture::join);
    }
  }

  private static String subnetKey(int i) {
    return "10." + (i >> 8 & 0xff) + "." + (i & 0xff) + ".0-24";
  }

  private static String lease(int i) {
    return String.format("{\"PublicIP\":\"192.0.%d.%d\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:%02x:%02x\"}}", i >> 8 & 0xff, i & 0xff,
        i >> 8 & 0xff, i & 0xff);
  }

  private static void report(String what, int n, long nanos) {
    System.out.printf("%s: %.0f ms (%.0f per second)%n", String.format(what, n), nanos / 1e6, n / (nanos / 1e9));
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
