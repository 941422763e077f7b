package io.overlaynet.wireguard.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.testkit.TestCluster;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The wireguard throughput benchmark (not a test; root): two hosts on a veth underlay, iperf3 TCP
 * from h1 to h2 over the underlay, then through wireguard-go on both sides, through our WgDevice
 * on h1 against wireguard-go on h2, and through WgDevice on both; 1 and 4 streams. Same run, so
 * the figures compare as ratios. Usage: {@code WgBench [seconds [path-name-part...]]}.
 */
public final class WgBench {

  private WgBench() {}

  /** One end of a tunnel: what it used of the CPU so far. */
  private interface End extends AutoCloseable {
    long cpuNanos() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    // Further arguments keep only the paths whose name contains one of them (e.g. "(plain)").
    List<String> only = args.length > 1 ? List.of(args).subList(1, args.length) : List.of();
    Path dir = Files.createTempDirectory("wgbench");
    try (TestCluster c = TestCluster.builder().withHosts(2).withPrefix("ovwgb").build()) {
      Process server = new ProcessBuilder("ip", "netns", "exec", c.host(2).name(), "iperf3", "-s", "-p", "5201")
          .redirectErrorStream(true).redirectOutput(dir.resolve("iperf3.log").toFile()).start();
      try {
        Thread.sleep(300);
        System.out.printf(Locale.ROOT, "%-44s %12s %17s%n", "path", "throughput", "tunnel CPU h1/h2");
        report("underlay, 1 stream", iperf(c.host(1).name(), c.host(2).underlayIp().toString(), 1, seconds), null);
        String[][] pairs = {{"wireguard-go", "wireguard-go"}, {"WgDevice", "wireguard-go"}, {"WgDevice", "WgDevice"},
            {"WgDevice (plain)", "WgDevice (plain)"}};
        for (String[] pair : pairs) {
          String name = pair[0].equals(pair[1]) ? pair[0] + " <-> " + pair[1] : pair[0] + " -> " + pair[1];
          if (!only.isEmpty() && only.stream().noneMatch(name::contains)) {
            continue;
          }
          List<End> ends = new ArrayList<>();
          try {
            PrivateKey k1 = PrivateKey.generate();
            PrivateKey k2 = PrivateKey.generate();
            ends.add(end(pair[0], c, 1, k1, k2, dir));
            ends.add(end(pair[1], c, 2, k2, k1, dir));
            Thread.sleep(300);
            for (int streams : new int[] {1, 4}) {
              long cpu1 = ends.get(0).cpuNanos();
              long cpu2 = ends.get(1).cpuNanos();
              long t0 = System.nanoTime();
              double gbps = iperf(c.host(1).name(), "10.5.2.0", streams, seconds);
              double wall = System.nanoTime() - t0;
              double[] cpu = {(ends.get(0).cpuNanos() - cpu1) / wall, (ends.get(1).cpuNanos() - cpu2) / wall};
              report(name + ", " + streams + " stream" + (streams > 1 ? "s" : ""), gbps, cpu);
            }
          } finally {
            for (End e : ends) {
              e.close();
            }
          }
        }
      } finally {
        server.destroyForcibly();
      }
    }
  }

  private static End end(String kind, TestCluster c, int h, PrivateKey own, PrivateKey other, Path dir) throws Exception {
    if (kind.equals("wireguard-go")) {
      WireGuardGo wg = wgGo(c, h, own, other, dir);
      return new End() {
        @Override
        public long cpuNanos() throws Exception {
          return wg.cpuNanos();
        }

        @Override
        public void close() {
          wg.close();
        }
      };
    }
    WgDevice d = ours(c, h, own, other, !kind.endsWith("(plain)"));
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    return new End() {
      @Override
      public long cpuNanos() {
        long sum = 0;
        for (long id : d.packetThreadIds()) {
          sum += Math.max(0, mx.getThreadCpuTime(id));
        }
        return sum;
      }

      @Override
      public void close() {
        d.close();
      }
    };
  }

  private static void report(String what, double gbps, double[] cpu) {
    String load = cpu == null ? "" : String.format(Locale.ROOT, "%7.0f%% /%4.0f%%", 100 * cpu[0], 100 * cpu[1]);
    System.out.printf(Locale.ROOT, "%-44s %6.3f Gbit/s %17s%n", what, gbps, load);
  }

  private static String ns(TestCluster c, int h) {
    return c.host(h).name();
  }

  private static void sh(String ns, String... cmd) throws Exception {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", all) + ": " + out);
    }
  }

  private static WireGuardGo wgGo(TestCluster c, int h, PrivateKey own, PrivateKey other, Path dir) throws Exception {
    WireGuardGo wg = WireGuardGo.start(c.host(h).netns(), dir);
    int o = 3 - h;
    wg.configure(own, 51820, "10.5." + h + ".0/32", "10.5.0.0/16");
    wg.addPeer(other.publicKey(), "10.5." + o + ".0/24", c.host(o).underlayIp() + ":51820");
    return wg;
  }

  /** Our device on host {@code h}: the fast path (TUN offload, batched socket) as the backend runs it, or the plain one. */
  private static WgDevice ours(TestCluster c, int h, PrivateKey own, PrivateKey other, boolean fast) throws Exception {
    NetNs n = c.host(h).netns();
    TunDevice tun = TunDevice.createIn(n, "flannel-wg", TunOptions.DEFAULT.withVnetHeader(fast));
    sh(ns(c, h), "ip", "addr", "add", "10.5." + h + ".0/32", "dev", "flannel-wg");
    sh(ns(c, h), "ip", "link", "set", "flannel-wg", "mtu", "1420", "up");
    sh(ns(c, h), "ip", "route", "add", "10.5.0.0/16", "dev", "flannel-wg");
    int o = 3 - h;
    WgDevice d;
    if (fast) {
      d = WgDevice.start(own, tun, n.run(() -> UdpSocket.bind(Ip4.ANY, 51820, 4 << 20, false)), 1420);
    } else {
      DatagramChannel udp = n.run(() -> {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(51820));
        return ch;
      });
      d = WgDevice.start(own, tun, udp, 1420);
    }
    d.setPeers(List.of(new WgDevice.PeerConfig(other.publicKey(), Optional.empty(),
        Optional.of(new InetSocketAddress(c.host(o).underlayIp().toInetAddress(), 51820)),
        List.of(IpNet.parse("10.5." + o + ".0/24")), Duration.ZERO)));
    return d;
  }

  private static double iperf(String ns, String server, int streams, int seconds) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns, "iperf3", "-c", server, "-p", "5201", "-P",
        String.valueOf(streams), "-t", String.valueOf(seconds), "-J").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(seconds + 30L, TimeUnit.SECONDS);
    JsonObject end = JsonParser.parseString(out).getAsJsonObject().getAsJsonObject("end");
    if (end == null || !end.has("sum_received")) {
      throw new IllegalStateException("iperf3 failed: " + out);
    }
    return end.getAsJsonObject("sum_received").get("bits_per_second").getAsDouble() / 1e9;
  }
}
