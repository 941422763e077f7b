package io.overlaynet.udp;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The udp throughput benchmark (not a test): 2 hosts and 2 containers, iperf3 TCP one stream,
 * host-to-host runs alternated with container-to-container runs over the udp backend, reporting
 * Gbit/s, the overlay/underlay ratio per round and the data-path CPU per host. Needs root and
 * iperf3; run through {@code scripts/bench-udp.sh}.
 *
 * <pre>
 *   UdpBench [--rounds 4] [--seconds 10] [--queues 1] [--batch 32] [--no-offload | --offload [--no-gso] [--no-gro]] [--label text]
 * </pre>
 */
public final class UdpBench {

  private UdpBench() {}

  /** Runs the benchmark; arguments as in the class comment. */
  public static void main(String[] args) throws Exception {
    int rounds = 4;
    int seconds = 10;
    int queues = 1;
    int batch = 32;
    String label = "";
    boolean offload = UdpOptions.DEFAULT.offload();
    boolean gso = true;
    boolean gro = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--queues" -> queues = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--label" -> label = args[++i];
        case "--offload" -> offload = true;
        case "--no-offload" -> offload = false;
        case "--no-gso" -> gso = false;
        case "--no-gro" -> gro = false;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    UdpOptions options = UdpOptions.DEFAULT.withQueues(queues).withBatchSize(batch).withOffload(offload)
        .withUdpGso(gso).withUdpGro(gro);
    System.out.printf("udp bench: %s, %d rounds x %d s, %s%n", label, rounds, seconds, options);
    ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    List<Process> servers = new ArrayList<>();
    try (UdpTestbed bed = UdpTestbed.start("oudpb", 2, 2, options)) {
      String c2 = bed.container(2).ip().toString();
      String h2 = bed.host(2).underlayIp().toString();
      servers.add(new ProcessBuilder("ip", "netns", "exec", bed.host(2).name(), "iperf3", "-s", "-p", "5201")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
      servers.add(new ProcessBuilder("ip", "netns", "exec", bed.container(2).name(), "iperf3", "-s", "-p", "5202")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
      Thread.sleep(500);
      if (!bed.cluster.awaitPing(bed.container(1).netns(), bed.container(2).ip(), java.time.Duration.ofSeconds(10))) {
        throw new IllegalStateException("overlay not up");
      }
      // The data-path threads in creation order: host 1's queue threads first, then host 2's.
      List<Thread> dp = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("overlaynet-udp-")).sorted(Comparator.comparingLong(Thread::getId)).toList();
      int perHost = dp.size() / 2;
      // Warm-up (JIT) run, not reported.
      iperf(bed.container(1).name(), c2, 5202, Math.min(3, seconds));
      double sumHost = 0;
      double sumUdp = 0;
      double sumRatio = 0;
      System.out.println("round  host-to-host Gbit/s  udp Gbit/s  ratio  retransmits  CPU s h1/h2 (tx+rx threads)  JVM CPU s  pkts/sendmmsg  pkts/recvmmsg  pkts/TUN write");
      for (int r = 1; r <= rounds; r++) {
        double host = iperf(bed.host(1).name(), h2, 5201, seconds)[0];
        UdpStats s1 = bed.network(1).stats();
        UdpStats s2 = bed.network(2).stats();
        long[] cpu0 = cpu(tmx, dp);
        long jvm0 = os.getProcessCpuTime();
        double[] udp = iperf(bed.container(1).name(), c2, 5202, seconds);
        long jvm1 = os.getProcessCpuTime();
        long[] cpu1 = cpu(tmx, dp);
        UdpStats e1 = bed.network(1).stats();
        UdpStats e2 = bed.network(2).stats();
        double h1Cpu = 0;
        double h2Cpu = 0;
        for (int i = 0; i < dp.size(); i++) {
          double d = (cpu1[i] - cpu0[i]) / 1e9;
          if (i < perHost) {
            h1Cpu += d;
          } else {
            h2Cpu += d;
          }
        }
        double perSend = (double) (e1.txPackets() - s1.txPackets()) / Math.max(1, e1.txCalls() - s1.txCalls());
        double perRecv = (double) (e2.rxPackets() - s2.rxPackets()) / Math.max(1, e2.rxCalls() - s2.rxCalls());
        double perWrite = (double) (e2.rxPackets() - s2.rxPackets()) / Math.max(1, e2.rxTunWrites() - s2.rxTunWrites());
        double ratio = udp[0] / host;
        sumHost += host;
        sumUdp += udp[0];
        sumRatio += ratio;
        System.out.printf(Locale.ROOT, "%5d  %19.2f  %10.2f  %5.3f  %11.0f  %12.1f / %-12.1f  %9.1f  %13.1f  %13.1f  %14.1f%n",
            r, host, udp[0], ratio, udp[1], h1Cpu, h2Cpu, (jvm1 - jvm0) / 1e9, perSend, perRecv, perWrite);
      }
      System.out.printf(Locale.ROOT, "mean   %19.2f  %10.2f  %5.3f   (targets 0.055 = 3x flanneld, 0.18 = 10x)%n",
          sumHost / rounds, sumUdp / rounds, sumRatio / rounds);
      System.out.println("drops h1: " + bed.network(1).stats().drops() + "\ndrops h2: " + bed.network(2).stats().drops());
    } finally {
      for (Process p : servers) {
        p.destroy();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  private static long[] cpu(ThreadMXBean tmx, List<Thread> threads) {
    long[] out = new long[threads.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(0, tmx.getThreadCpuTime(threads.get(i).getId()));
    }
    return out;
  }

  /** Runs iperf3 in {@code ns} against {@code server}; returns {Gbit/s received, retransmits}. */
  private static double[] iperf(String ns, String server, int port, int seconds) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns, "iperf3", "-c", server, "-p", String.valueOf(port),
        "-t", String.valueOf(seconds), "-J").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor(seconds + 30L, TimeUnit.SECONDS);
    JsonObject end = JsonParser.parseString(out).getAsJsonObject().getAsJsonObject("end");
    if (end == null || !end.has("sum_received")) {
      throw new IllegalStateException("iperf3 failed: " + out);
    }
    double bps = end.getAsJsonObject("sum_received").get("bits_per_second").getAsDouble();
    double retr = end.getAsJsonObject("sum_sent").has("retransmits")
        ? end.getAsJsonObject("sum_sent").get("retransmits").getAsDouble() : 0;
    return new double[] {bps / 1e9, retr};
  }
}
