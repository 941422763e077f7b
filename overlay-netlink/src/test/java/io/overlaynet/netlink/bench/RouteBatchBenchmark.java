package io.overlaynet.netlink.bench;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.VethInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Programmes N routes (default 10,000) into a fresh namespace and removes them, alternating the
 * library's pipelined batch, the library one request at a time, and {@code ip -batch}, in the
 * same run; prints the median of each and the ratios. Needs root. Not a test: run it by hand
 * (see the module README).
 *
 * <pre>
 * java -cp ... io.overlaynet.netlink.bench.RouteBatchBenchmark [routes] [rounds]
 * </pre>
 */
public final class RouteBatchBenchmark {

  private RouteBatchBenchmark() {}

  /**
   * Runs the benchmark.
   *
   * @param args optional: number of routes (10000), rounds (7)
   * @throws Exception if a step fails
   */
  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    String name = "ovbench-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    NetNs ns = NetNs.create(name);
    Path addFile = Files.createTempFile("routes-add", ".batch");
    Path delFile = Files.createTempFile("routes-del", ".batch");
    try (NetlinkHandle h = NetlinkHandle.openIn(ns)) {
      Link e0 = h.linkAdd(Link.of("e0", VethInfo.peer("e0p")));
      h.linkSetUp(e0.index());
      h.linkSetUp(h.linkByName("e0p").index());
      h.addrAdd(Address.of(e0.index(), "192.0.2.1/24"));
      List<Route> routes = new ArrayList<>(count);
      StringBuilder add = new StringBuilder();
      StringBuilder del = new StringBuilder();
      for (int i = 0; i < count; i++) {
        IpNet dst = IpNet.of(Ip4.of(10, 1 + i / 65536, (i / 256) % 256, i % 256), 32);
        routes.add(Route.builder(dst).withGateway(Ip4.parse("192.0.2.2")).withLinkIndex(e0.index()).build());
        add.append("route replace ").append(dst).append(" via 192.0.2.2 dev e0\n");
        del.append("route del ").append(dst).append(" via 192.0.2.2 dev e0\n");
      }
      Files.writeString(addFile, add);
      Files.writeString(delFile, del);

      // Warm-up: JIT for the library, page cache for ip.
      h.routeReplaceAll(routes);
      h.routeDelAll(routes);
      ip(name, addFile);
      ip(name, delFile);

      long[][] t = new long[6][rounds];
      for (int r = 0; r < rounds; r++) {
        long s = System.nanoTime();
        h.routeReplaceAll(routes);
        t[0][r] = System.nanoTime() - s;
        check(h, count);
        s = System.nanoTime();
        h.routeDelAll(routes);
        t[1][r] = System.nanoTime() - s;
        check(h, 0);

        s = System.nanoTime();
        ip(name, addFile);
        t[2][r] = System.nanoTime() - s;
        check(h, count);
        s = System.nanoTime();
        ip(name, delFile);
        t[3][r] = System.nanoTime() - s;
        check(h, 0);

        s = System.nanoTime();
        for (Route route : routes) {
          h.routeReplace(route);
        }
        t[4][r] = System.nanoTime() - s;
        s = System.nanoTime();
        for (Route route : routes) {
          h.routeDel(route);
        }
        t[5][r] = System.nanoTime() - s;
        check(h, 0);
      }
      String[] labels = {"library batch add", "library batch del", "ip -batch add", "ip -batch del",
          "library 1-by-1 add", "library 1-by-1 del"};
      System.out.printf("%d routes, %d rounds, median seconds%n", count, rounds);
      double[] med = new double[6];
      for (int i = 0; i < 6; i++) {
        long[] v = t[i].clone();
        Arrays.sort(v);
        med[i] = v[rounds / 2] / 1e9;
        System.out.printf("  %-20s %.3f s  (min %.3f, max %.3f)%n", labels[i], med[i], v[0] / 1e9, v[rounds - 1] / 1e9);
      }
      System.out.printf("ratio library batch / ip -batch: add %.2f, del %.2f (below 1 = faster than ip)%n",
          med[0] / med[2], med[1] / med[3]);
      System.out.printf("ratio library 1-by-1 / ip -batch: add %.2f, del %.2f%n", med[4] / med[2], med[5] / med[3]);
    } finally {
      ns.delete();
      Files.deleteIfExists(addFile);
      Files.deleteIfExists(delFile);
    }
  }

  private static void check(NetlinkHandle h, int expectedRoutes) throws IOException {
    long n = h.routeList(io.overlaynet.netlink.Family.V4).stream().filter(r -> r.dst().prefixLength() == 32).count();
    if (n != expectedRoutes) {
      throw new IllegalStateException("expected " + expectedRoutes + " routes, found " + n);
    }
  }

  private static void ip(String ns, Path batch) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ip", "-n", ns, "-batch", batch.toString()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException("ip -batch failed: " + p.exitValue());
    }
  }
}
