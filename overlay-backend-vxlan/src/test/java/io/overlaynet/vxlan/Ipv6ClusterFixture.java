package io.overlaynet.vxlan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import io.overlaynet.Backend;
import io.overlaynet.ExternalInterface;
import io.overlaynet.Lease;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.testing.ClusterFixture;
import io.overlaynet.netlink.testkit.TestCluster;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.FaultyStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The netlink test kit's hosts with an IPv6 underlay too: host {@code i}'s {@code eth0} gets
 * {@code 2001:db8::(10+i)/64} beside {@code 192.0.2.(10+i)/24} (as in reference B10) and IPv6
 * forwarding; one agent per host whose external interface carries both addresses; a container
 * per host at {@code FLANNEL_IPV6_SUBNET}'s {@code ::2} behind {@code cbr0} ({@code ::1}), and with
 * IPv4 also at {@code FLANNEL_SUBNET}'s {@code .2}. The test kit's containers are made with an IPv4
 * address; in an IPv6-only cluster that address is an unrouted {@code 10.99.<i>.2/24}, never used.
 */
final class Ipv6ClusterFixture implements AutoCloseable {

  static final String PREFIX = ClusterFixture.PREFIX;

  final TestCluster cluster;
  /** The shared store; {@link FaultyStore#cutOff()} and the inner store's compaction force a re-list. */
  final FaultyStore store;
  final Path dir;
  final Supplier<Backend> backends;
  final Agent[] agents;
  final Lease[] leases;
  final TestCluster.Container[] containers;
  final Ip6[] containerIp6;

  private Ipv6ClusterFixture(TestCluster cluster, FaultyStore store, Path dir, Supplier<Backend> backends) {
    this.cluster = cluster;
    this.store = store;
    this.dir = dir;
    this.backends = backends;
    int n = cluster.hosts().size() + 1;
    this.agents = new Agent[n];
    this.leases = new Lease[n];
    this.containers = new TestCluster.Container[n];
    this.containerIp6 = new Ip6[n];
  }

  /** Host {@code i}'s IPv6 underlay address, {@code 2001:db8::(10+i)}. */
  static Ip6 underlay6(int i) {
    return Ip6.parse("2001:db8::" + (10 + i));
  }

  /** Builds the hosts, writes {@code configJson}, starts the agents and a container per host. */
  static Ipv6ClusterFixture start(int hosts, String configJson, Supplier<Backend> backends) throws Exception {
    FaultyStore store = FaultyStore.over(InMemoryStore.create());
    Path dir = Files.createTempDirectory("ipv6-cluster");
    TestCluster cluster = null;
    Ipv6ClusterFixture f = null;
    try {
      cluster = TestCluster.builder().withHosts(hosts).build();
      f = new Ipv6ClusterFixture(cluster, store, dir, backends);
      for (int i = 1; i <= hosts; i++) {
        TestCluster.Host h = cluster.host(i);
        NetlinkHandle nl = h.netlink();
        Link eth0 = nl.linkByName(h.underlayLink());
        nl.addrAdd(Address.of(eth0.index(), underlay6(i), 64).withFlags(Address.NODAD));
        nl.sysctl().set("net/ipv6/conf/all/forwarding", "1");
      }
      store.put(PREFIX + "/config", configJson, Store.NO_TTL);
      for (int i = 1; i <= hosts; i++) {
        f.startAgent(i);
      }
      for (int i = 1; i <= hosts; i++) {
        f.addContainer(i);
      }
      return f;
    } catch (Exception | Error e) {
      if (f != null) {
        f.close();
      } else {
        if (cluster != null) {
          cluster.close();
        }
        store.close();
        ClusterFixture.deleteRecursively(dir);
      }
      throw e;
    }
  }

  private void addContainer(int i) throws IOException {
    TestCluster.Host h = cluster.host(i);
    Lease l = leases[i];
    boolean v4 = !l.subnet().isEmpty();
    Ip4 gw = v4 ? l.subnet().address().plus(1) : Ip4.of(10, 99, i, 1);
    int len = v4 ? l.subnet().prefixLength() : 24;
    TestCluster.Container c = cluster.addContainer(h, gw + "/" + len, gw.plus(1));
    containers[i] = c;
    Ip6Net s6 = l.ipv6Subnet().orElseThrow();
    Ip6 gw6 = s6.address().plus(1);
    containerIp6[i] = s6.address().plus(2);
    NetlinkHandle nl = h.netlink();
    nl.addrAdd(Address.of(nl.linkByName("cbr0").index(), gw6, s6.prefixLength()).withFlags(Address.NODAD));
    try (NetlinkHandle cn = NetlinkHandle.openIn(c.netns())) {
      int eth0 = cn.linkByName("eth0").index();
      cn.addrAdd(Address.of(eth0, containerIp6[i], s6.prefixLength()).withFlags(Address.NODAD));
      cn.routeAdd(Route.builder(IpNet.parse("::/0")).withGateway(gw6).build());
    }
  }

  /** Starts (or restarts) host {@code i}'s agent over an external interface with both addresses. */
  Lease startAgent(int i) throws IOException {
    TestCluster.Host h = cluster.host(i);
    Link eth0 = h.netlink().linkByName(h.underlayLink());
    ExternalInterface ext = new ExternalInterface(eth0.name(), eth0.index(), eth0.attrs().mtu(), h.underlayIp(),
        h.underlayIp(), Optional.of(underlay6(i)), Optional.of(underlay6(i)));
    Agent a = Agent.builder().store(store, PREFIX).backend(backends.get()).externalInterface(ext)
        .threadFactory(ClusterFixture.inNamespace(h.netns()))
        .options(AgentOptions.DEFAULT.withForwardRules(false).withSubnetFile(dir.resolve("h" + i + "/subnet.env"))
            .withConfigRetry(Duration.ofMillis(100)))
        .build();
    agents[i] = a;
    leases[i] = a.start();
    return leases[i];
  }

  void stopAgent(int i) {
    if (agents[i] != null) {
      agents[i].close();
      agents[i] = null;
    }
  }

  int size() {
    return cluster.hosts().size();
  }

  String subnetFile(int i) throws IOException {
    return Files.readString(dir.resolve("h" + i + "/subnet.env"));
  }

  JsonArray json(int host, String tool, String... args) throws IOException {
    return ClusterFixture.jsonIn(cluster.host(host).name(), tool, args);
  }

  String run(int host, String tool, String... args) throws IOException {
    return ClusterFixture.runIn(cluster.host(host).name(), tool, args);
  }

  /** Asserts that container {@code i} pings container {@code j} at {@code to}. */
  void assertPings(int i, int j, IpAddress to) throws IOException {
    assertTrue(cluster.awaitPing(containers[i].netns(), to, Duration.ofSeconds(10)),
        "ping " + containers[i] + " -> c" + j + " at " + to);
  }

  /** Asserts that every container pings every other over IPv6 (and over IPv4 if {@code v4}). */
  void assertAllPing(boolean v4) throws IOException {
    for (int i = 1; i <= size(); i++) {
      for (int j = 1; j <= size(); j++) {
        if (i != j) {
          assertPings(i, j, containerIp6[j]);
          if (v4) {
            assertPings(i, j, containers[j].ip());
          }
        }
      }
    }
  }

  /**
   * Sends {@code bytes} random bytes over TCP from container {@code i} to container {@code j}'s
   * IPv6 address and asserts they arrive intact (larger than any MTU: the path MTU of flannel-v6 is
   * found on the way). Bounded by 20 s.
   */
  void assertTcpTransfer6(int i, int j, int bytes, int port) throws Exception {
    byte[] data = new byte[bytes];
    new Random(i * 31L + j).nextBytes(data);
    NetNs server = containers[j].netns();
    Ip6 to = containerIp6[j];
    ServerSocket listener = server.run(() -> {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(to.toInetAddress(), port));
      s.setSoTimeout(20_000);
      return s;
    });
    try (listener) {
      CompletableFuture<byte[]> received = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try (Socket s = listener.accept(); InputStream in = s.getInputStream()) {
          s.setSoTimeout(20_000);
          received.complete(digest(in.readAllBytes()));
        } catch (IOException e) {
          received.completeExceptionally(e);
        }
      }, "ipv6-transfer-sink");
      t.setDaemon(true);
      t.start();
      containers[i].netns().run(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(to.toInetAddress(), port), 5_000);
          try (OutputStream out = s.getOutputStream()) {
            out.write(data);
          }
        }
        return null;
      });
      assertArrayEquals(digest(data), received.get(20, TimeUnit.SECONDS), "TCP over IPv6 c" + i + " -> c" + j);
    }
  }

  private static byte[] digest(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (int i = 1; i < agents.length; i++) {
      try {
        stopAgent(i);
      } catch (RuntimeException e) {
        // keep tearing down
      }
    }
    try {
      cluster.close();
    } finally {
      store.close();
      ClusterFixture.deleteRecursively(dir);
    }
  }
}
