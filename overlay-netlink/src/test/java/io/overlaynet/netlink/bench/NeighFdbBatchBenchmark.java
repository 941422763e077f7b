package io.overlaynet.netlink.bench;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.FdbEntry;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Neighbor;
import io.overlaynet.netlink.VxlanInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Programmes N ARP entries and N FDB entries (default 5,000 each: a vxlan node with 5,000 peers)
 * on a vxlan device in a fresh namespace and removes them, alternating the library's pipelined
 * batches ({@code neighSetAll}/{@code fdbSetAll}/{@code ...DelAll}), the library one request at a
 * time, and {@code ip -batch} / {@code bridge -batch}, in the same run; prints the median of
 * each. Needs root. Not a test: run it by hand (docs/BENCHMARKS.md).
 *
 * <pre>
 * java -cp ... io.overlaynet.netlink.bench.NeighFdbBatchBenchmark [entries] [rounds]
 * </pre>
 */
public final class NeighFdbBatchBenchmark {

  private NeighFdbBatchBenchmark() {}

  /**
   * Runs the benchmark.
   *
   * @param args optional: number of entries of each kind (5000), rounds (5)
   * @throws Exception if a step fails
   */
  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String name = "ovbench-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    NetNs ns = NetNs.create(name);
    Path dir = Files.createTempDirectory("neigh-batch");
    try (NetlinkHandle h = NetlinkHandle.openIn(ns)) {
      Link vx = h.linkAdd(Link.of("vx1", VxlanInfo.builder(1).withPort(8472).withLearning(false).build()));
      h.linkSetUp(vx.index());
      List<Neighbor> neigh = new ArrayList<>(count);
      List<FdbEntry> fdb = new ArrayList<>(count);
      StringBuilder ipAdd = new StringBuilder();
      StringBuilder ipDel = new StringBuilder();
      StringBuilder brAdd = new StringBuilder();
      StringBuilder brDel = new StringBuilder();
      for (int i = 0; i < count; i++) {
        MacAddress mac = MacAddress.parse(String.format(Locale.ROOT, "02:42:00:%02x:%02x:%02x", i >> 16, (i >> 8) & 255,
            i & 255));
        Ip4 ip = Ip4.of(10, 100 + i / 256, i % 256, 0);
        Ip4 dst = Ip4.of(192, 0, 2, 20 + i % 200);
        neigh.add(Neighbor.permanent(vx.index(), ip, mac));
        fdb.add(FdbEntry.vxlanRemote(vx.index(), mac, dst));
        ipAdd.append("neigh replace ").append(ip).append(" lladdr ").append(mac).append(" dev vx1 nud permanent\n");
        ipDel.append("neigh del ").append(ip).append(" dev vx1\n");
        brAdd.append("fdb replace ").append(mac).append(" dev vx1 dst ").append(dst).append(" self permanent\n");
        brDel.append("fdb del ").append(mac).append(" dev vx1 dst ").append(dst).append(" self\n");
      }
      Path ipAddFile = Files.writeString(dir.resolve("ip-add"), ipAdd);
      Path ipDelFile = Files.writeString(dir.resolve("ip-del"), ipDel);
      Path brAddFile = Files.writeString(dir.resolve("br-add"), brAdd);
      Path brDelFile = Files.writeString(dir.resolve("br-del"), brDel);

      // Warm-up: JIT for the library, page cache for the tools.
      h.neighSetAll(neigh);
      h.fdbSetAll(fdb);
      h.neighDelAll(neigh);
      h.fdbDelAll(fdb);
      tool(name, "ip", ipAddFile);
      tool(name, "ip", ipDelFile);

      String[] labels = {"library batch: ARP + FDB add", "library batch: ARP + FDB del", "ip -batch + bridge -batch add",
          "ip -batch + bridge -batch del", "library 1-by-1 add", "library 1-by-1 del"};
      long[][] t = new long[6][rounds];
      for (int r = 0; r < rounds; r++) {
        long s = System.nanoTime();
        h.neighSetAll(neigh);
        h.fdbSetAll(fdb);
        t[0][r] = System.nanoTime() - s;
        check(h, vx.index(), count);
        s = System.nanoTime();
        h.neighDelAll(neigh);
        h.fdbDelAll(fdb);
        t[1][r] = System.nanoTime() - s;
        check(h, vx.index(), 0);

        s = System.nanoTime();
        tool(name, "ip", ipAddFile);
        tool(name, "bridge", brAddFile);
        t[2][r] = System.nanoTime() - s;
        check(h, vx.index(), count);
        s = System.nanoTime();
        tool(name, "ip", ipDelFile);
        tool(name, "bridge", brDelFile);
        t[3][r] = System.nanoTime() - s;
        check(h, vx.index(), 0);

        s = System.nanoTime();
        for (int i = 0; i < count; i++) {
          h.neighSet(neigh.get(i));
          h.fdbSet(fdb.get(i));
        }
        t[4][r] = System.nanoTime() - s;
        check(h, vx.index(), count);
        s = System.nanoTime();
        for (int i = 0; i < count; i++) {
          h.neighDel(neigh.get(i));
          h.fdbDel(fdb.get(i));
        }
        t[5][r] = System.nanoTime() - s;
        check(h, vx.index(), 0);
      }
      System.out.printf(Locale.ROOT, "%d ARP + %d FDB entries, %d rounds, median seconds%n", count, count, rounds);
      double[] med = new double[6];
      for (int i = 0; i < 6; i++) {
        long[] v = t[i].clone();
        Arrays.sort(v);
        med[i] = v[rounds / 2] / 1e9;
        System.out.printf(Locale.ROOT, "  %-32s %.3f s  (min %.3f, max %.3f)%n", labels[i], med[i], v[0] / 1e9,
            v[rounds - 1] / 1e9);
      }
      System.out.printf(Locale.ROOT, "ratio library batch / iproute2 batch: add %.2f, del %.2f (below 1 = faster)%n",
          med[0] / med[2], med[1] / med[3]);
      System.out.printf(Locale.ROOT, "ratio library 1-by-1 / iproute2 batch: add %.2f, del %.2f%n", med[4] / med[2],
          med[5] / med[3]);
    } finally {
      ns.delete();
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  private static void check(NetlinkHandle h, int dev, int expected) throws IOException {
    long arp = h.neighList(dev, Family.V4).stream().filter(Neighbor::isPermanent).count();
    long fdb = h.fdbList(dev).stream().filter(e -> e.dst() != null).count();
    if (arp != expected || fdb != expected) {
      throw new IllegalStateException("expected " + expected + " entries, found " + arp + " ARP, " + fdb + " FDB");
    }
  }

  private static void tool(String ns, String tool, Path batch) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(tool, "-n", ns, "-batch", batch.toString()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(tool + " -batch failed: " + p.exitValue());
    }
  }
}
