package io.overlaynet.wireguard.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.TunDevice;
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
 * the figures compare as ratios. Usage: {@code WgBench [seconds]}.
 */
public final class WgBench {

  private WgBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path dir = Files.createTempDirectory("wgbench");
    try (TestCluster c = TestCluster.builder().withHosts(2).withPrefix("ovwgb").build()) {
      Process server = new ProcessBuilder("ip", "netns", "exec", c.host(2).name(), "iperf3", "-s", "-p", "5201")
          .redirectErrorStream(true).redirectOutput(dir.resolve("iperf3.log").toFile()).start();
      try {
        Thread.sleep(300);
        report("underlay, 1 stream", iperf(c.host(1).name(), c.host(2).underlayIp().toString(), 1, seconds));
        for (String pair : new String[] {"wireguard-go <-> wireguard-go", "WgDevice -> wireguard-go", "WgDevice <-> WgDevice"}) {
          List<AutoCloseable> ends = new ArrayList<>();
          try {
            PrivateKey k1 = PrivateKey.generate();
            PrivateKey k2 = PrivateKey.generate();
            ends.add(pair.startsWith("wireguard-go") ? wgGo(c, 1, k1, k2, dir) : ours(c, 1, k1, k2));
            ends.add(pair.endsWith("WgDevice") ? ours(c, 2, k2, k1) : wgGo(c, 2, k2, k1, dir));
            Thread.sleep(300);
            for (int streams : new int[] {1, 4}) {
              report(pair + ", " + streams + " stream" + (streams > 1 ? "s" : ""), iperf(c.host(1).name(), "10.5.2.0",
                  streams, seconds));
            }
          } finally {
            for (AutoCloseable e : ends) {
              e.close();
            }
          }
        }
      } finally {
        server.destroyForcibly();
      }
    }
  }

  private static void report(String what, double gbps) {
    System.out.printf(Locale.ROOT, "%-40s %6.3f Gbit/s%n", what, gbps);
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

  private static AutoCloseable wgGo(TestCluster c, int h, PrivateKey own, PrivateKey other, Path dir) throws Exception {
    WireGuardGo wg = WireGuardGo.start(c.host(h).netns(), dir);
    int o = 3 - h;
    wg.configure(own, 51820, "10.5." + h + ".0/32", "10.5.0.0/16");
    wg.addPeer(other.publicKey(), "10.5." + o + ".0/24", c.host(o).underlayIp() + ":51820");
    return wg;
  }

  private static AutoCloseable ours(TestCluster c, int h, PrivateKey own, PrivateKey other) throws Exception {
    NetNs n = c.host(h).netns();
    TunDevice tun = TunDevice.createIn(n, "flannel-wg", TunOptions.DEFAULT);
    sh(ns(c, h), "ip", "addr", "add", "10.5." + h + ".0/32", "dev", "flannel-wg");
    sh(ns(c, h), "ip", "link", "set", "flannel-wg", "mtu", "1420", "up");
    sh(ns(c, h), "ip", "route", "add", "10.5.0.0/16", "dev", "flannel-wg");
    DatagramChannel udp = n.run(() -> {
      DatagramChannel ch = DatagramChannel.open();
      ch.bind(new InetSocketAddress(51820));
      return ch;
    });
    int o = 3 - h;
    WgDevice d = WgDevice.start(own, tun, udp, 1420);
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
