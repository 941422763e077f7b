package io.overlaynet.netlink.testkit;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.BridgeInfo;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.LinkAttrs;
import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.NetlinkNotFoundException;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.VethInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A throwaway multi-host topology built from network namespaces, for cluster tests of backends,
 * agents and orchestrators. Needs root.
 *
 * <pre>
 *   [PREFIX-ul]  br0 ── vh1 ═══ eth0 [PREFIX-h1] 192.0.2.11/24   cbr0 ── vc1 ═══ eth0 [PREFIX-h1-c1]
 *                    └─ vh2 ═══ eth0 [PREFIX-h2] 192.0.2.12/24   cbr0 ── vc1 ═══ eth0 [PREFIX-h2-c1]
 * </pre>
 *
 * <p>Hosts are namespaces {@code PREFIX-h1..N} whose {@code eth0} is a veth into a bridge
 * living in its own underlay namespace {@code PREFIX-ul} (never the root namespace); host
 * {@code i} has {@code 192.0.2.(10+i)/24} and IPv4 forwarding on; with
 * {@link Builder#withIpv6Underlay()} also {@code 2001:db8::(10+i)/64} (the documentation range,
 * as in flannel's dual-stack runs) and IPv6 forwarding. Containers are namespaces
 * behind a per-host bridge {@code cbr0}, addressed by the caller (typically from the host's
 * {@code FLANNEL_SUBNET}), with a default route via the bridge. {@link #close()} deletes every
 * namespace it made, even after a failed test, and {@link Builder#build()} first removes
 * leftovers of a crashed run that used the same prefix. Traffic helpers only talk between these
 * namespaces.
 *
 * <pre>{@code
 * try (TestCluster c = TestCluster.builder().withHosts(2).build()) {
 *   TestCluster.Container c1 = c.addContainer(c.host(1), "10.5.7.1/24", Ip4.parse("10.5.7.2"));
 *   TestCluster.Container c2 = c.addContainer(c.host(2), "10.5.8.1/24", Ip4.parse("10.5.8.2"));
 *   // ... start a backend per host (c.host(i).netns()), then:
 *   assertTrue(c.ping(c1.netns(), c2.ip()));
 * }
 * }</pre>
 */
public final class TestCluster implements AutoCloseable {

  /** The underlay network of the hosts. */
  public static final IpNet UNDERLAY = IpNet.parse("192.0.2.0/24");
  /** The IPv6 underlay network of the hosts, with {@link Builder#withIpv6Underlay()}. */
  public static final IpNet UNDERLAY6 = IpNet.parse("2001:db8::/64");

  private final String prefix;
  private final NetNs underlay;
  private final List<Host> hosts = new ArrayList<>();
  private final List<Container> containers = new ArrayList<>();
  /** Every namespace name made, in creation order, for teardown. */
  private final List<String> created = new ArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private boolean closed;

  private TestCluster(String prefix) throws NetlinkException {
    this.prefix = prefix;
    this.underlay = newNs(prefix + "-ul");
  }

  /** Starts a builder: 2 hosts and a random prefix by default. */
  public static Builder builder() {
    return new Builder();
  }

  /** A host namespace on the underlay. */
  public static final class Host {
    private final int number;
    private final NetNs netns;
    private final Ip4 underlayIp;
    private final Optional<Ip6> underlayIp6;
    private final NetlinkHandle handle;
    private int containers;

    private Host(int number, NetNs netns, Ip4 underlayIp, Optional<Ip6> underlayIp6, NetlinkHandle handle) {
      this.number = number;
      this.netns = netns;
      this.underlayIp = underlayIp;
      this.underlayIp6 = underlayIp6;
      this.handle = handle;
    }

    /** Returns the 1-based host number. */
    public int number() {
      return number;
    }

    /** Returns the host's namespace name, for {@code ip -n}. */
    public String name() {
      return netns.name();
    }

    /** Returns the host's namespace (open until the cluster closes). */
    public NetNs netns() {
      return netns;
    }

    /** Returns the host's underlay address, {@code 192.0.2.(10+n)}. */
    public Ip4 underlayIp() {
      return underlayIp;
    }

    /** Returns the host's IPv6 underlay address, {@code 2001:db8::(10+n)}, with an IPv6 underlay. */
    public Optional<Ip6> underlayIp6() {
      return underlayIp6;
    }

    /** Returns the name of the host's underlay interface, {@code eth0}. */
    public String underlayLink() {
      return "eth0";
    }

    /** Returns a netlink handle inside the host (owned by the cluster; do not close it). */
    public NetlinkHandle netlink() {
      return handle;
    }

    @Override
    public String toString() {
      return "Host{" + name() + ", " + underlayIp + "}";
    }
  }

  /** A container namespace behind its host's {@code cbr0}. */
  public static final class Container {
    private final Host host;
    private final NetNs netns;
    private final Ip4 ip;
    private final Optional<Ip6> ip6;

    private Container(Host host, NetNs netns, Ip4 ip, Optional<Ip6> ip6) {
      this.host = host;
      this.netns = netns;
      this.ip = ip;
      this.ip6 = ip6;
    }

    /** Returns the host the container is on. */
    public Host host() {
      return host;
    }

    /** Returns the container's namespace name. */
    public String name() {
      return netns.name();
    }

    /** Returns the container's namespace. */
    public NetNs netns() {
      return netns;
    }

    /** Returns the container's IPv4 address ({@code 0.0.0.0} for an IPv6-only container). */
    public Ip4 ip() {
      return ip;
    }

    /** Returns the container's IPv6 address, if it has one. */
    public Optional<Ip6> ip6() {
      return ip6;
    }

    @Override
    public String toString() {
      return "Container{" + name() + ", " + ip + ip6.map(a -> ", " + a).orElse("") + "}";
    }
  }

  /** Returns the name prefix of every namespace of this cluster. */
  public String prefix() {
    return prefix;
  }

  /** Returns the underlay namespace (holding bridge {@code br0}). */
  public NetNs underlay() {
    return underlay;
  }

  /** Returns the hosts in order. */
  public List<Host> hosts() {
    return Collections.unmodifiableList(hosts);
  }

  /**
   * Returns host {@code number} (1-based).
   *
   * @throws IllegalArgumentException if there is no such host
   */
  public Host host(int number) {
    checkArgument(number >= 1 && number <= hosts.size(), "no host %s", number);
    return hosts.get(number - 1);
  }

  /** Returns the containers made so far. */
  public List<Container> containers() {
    return Collections.unmodifiableList(containers);
  }

  private NetNs newNs(String name) throws NetlinkException {
    NetNs ns = NetNs.create(name);
    created.add(name);
    resources.add(ns);
    try (NetlinkHandle h = NetlinkHandle.openIn(ns)) {
      h.linkSetUp(h.linkByName("lo").index());
    }
    return ns;
  }

  private NetlinkHandle handleIn(NetNs ns) throws NetlinkException {
    NetlinkHandle h = NetlinkHandle.openIn(ns);
    resources.add(h);
    return h;
  }

  private void addHost(int n, boolean ipv6) throws IOException {
    NetNs ns = newNs(prefix + "-h" + n);
    Ip4 ip = Ip4.of(192, 0, 2, 10 + n);
    Optional<Ip6> ip6 = ipv6 ? Optional.of(Ip6.parse("2001:db8::" + (10 + n))) : Optional.empty();
    try (NetlinkHandle ul = NetlinkHandle.openIn(underlay)) {
      Link port = ul.linkAdd(Link.of("vh" + n, VethInfo.peer("eth0").withPeerNamespace(ns)));
      ul.linkSetMaster(port.index(), ul.linkByName("br0").index());
      ul.linkSetUp(port.index());
    }
    NetlinkHandle h = handleIn(ns);
    Link eth0 = h.linkByName("eth0");
    h.addrAdd(Address.of(eth0.index(), ip, UNDERLAY.prefixLength()));
    if (ip6.isPresent()) {
      // No duplicate address detection: the address is usable at once, not tentative.
      h.addrAdd(Address.of(eth0.index(), ip6.get(), UNDERLAY6.prefixLength()).withFlags(Address.NODAD));
      h.sysctl().set("net.ipv6.conf.all.forwarding", "1");
    }
    h.linkSetUp(eth0.index());
    h.sysctl().setIpForward(true);
    hosts.add(new Host(n, ns, ip, ip6, h));
  }

  /**
   * Adds a container to {@code host}: creates the host's {@code cbr0} with {@code bridgeCidr}
   * on first use (e.g. {@code 10.5.7.1/24}), and a namespace with {@code ip} on {@code eth0}
   * and a default route via the bridge address.
   *
   * @throws IllegalArgumentException if {@code ip} is not in the bridge's network, or a second
   *     container names another bridge network
   * @throws IOException if a kernel call fails
   */
  public synchronized Container addContainer(Host host, String bridgeCidr, Ip4 ip) throws IOException {
    return addContainer(host, bridgeCidr, ip, null, null);
  }

  /**
   * Adds a dual-stack or IPv6-only container to {@code host}: as
   * {@link #addContainer(Host, String, Ip4)}, with {@code ip6} on {@code eth0} too, behind
   * {@code bridgeCidr6} on {@code cbr0} (e.g. {@code fd00:5:0:3a::1/64}), and an IPv6 default route
   * via the bridge's IPv6 address. Either family may be null (not both).
   *
   * @throws IllegalArgumentException if an address is not in its bridge network, both families
   *     are missing, or a second container names another bridge network
   * @throws IOException if a kernel call fails
   */
  public synchronized Container addContainer(Host host, String bridgeCidr, Ip4 ip, String bridgeCidr6, Ip6 ip6)
      throws IOException {
    checkState(!closed, "cluster closed");
    checkArgument((bridgeCidr == null) == (ip == null), "an IPv4 bridge network and address come together");
    checkArgument((bridgeCidr6 == null) == (ip6 == null), "an IPv6 bridge network and address come together");
    checkArgument(ip != null || ip6 != null, "a container needs an IPv4 or an IPv6 address");
    Address bridgeAddr = ip == null ? null : Address.of(0, bridgeCidr);
    Address bridgeAddr6 = ip6 == null ? null : Address.of(0, bridgeCidr6);
    if (ip != null) {
      checkArgument(bridgeAddr.network().containsAddress(ip), "%s is not in %s", ip, bridgeCidr);
    }
    if (ip6 != null) {
      checkArgument(bridgeAddr6.network().containsAddress(ip6), "%s is not in %s", ip6, bridgeCidr6);
    }
    NetlinkHandle h = host.handle;
    Link cbr0;
    try {
      cbr0 = h.linkByName("cbr0");
      List<Address> have = h.addrList(cbr0.index(), Family.ALL);
      for (Address want : new Address[] {bridgeAddr, bridgeAddr6}) {
        checkArgument(want == null || have.stream().anyMatch(a -> a.ip().equals(want.ip())
            && a.prefixLength() == want.prefixLength()), "cbr0 on %s has another address than %s", host, want);
      }
    } catch (NetlinkNotFoundException e) {
      cbr0 = h.linkAdd(Link.of(LinkAttrs.builder("cbr0").withUp(true).build(), BridgeInfo.DEFAULT));
      if (bridgeAddr != null) {
        h.addrAdd(Address.of(cbr0.index(), bridgeAddr.ip(), bridgeAddr.prefixLength()));
      }
      if (bridgeAddr6 != null) {
        h.addrAdd(Address.of(cbr0.index(), bridgeAddr6.ip(), bridgeAddr6.prefixLength()).withFlags(Address.NODAD));
      }
    }
    int n = ++host.containers;
    NetNs ns = newNs(host.name() + "-c" + n);
    Link port = h.linkAdd(Link.of("vc" + n, VethInfo.peer("eth0").withPeerNamespace(ns)));
    h.linkSetMaster(port.index(), cbr0.index());
    h.linkSetUp(port.index());
    try (NetlinkHandle c = NetlinkHandle.openIn(ns)) {
      Link eth0 = c.linkByName("eth0");
      if (ip != null) {
        c.addrAdd(Address.of(eth0.index(), ip, bridgeAddr.prefixLength()));
      }
      if (ip6 != null) {
        c.addrAdd(Address.of(eth0.index(), ip6, bridgeAddr6.prefixLength()).withFlags(Address.NODAD));
      }
      c.linkSetUp(eth0.index());
      if (ip != null) {
        c.routeAdd(Route.builder(IpNet.parse("0.0.0.0/0")).withGateway(bridgeAddr.ip()).build());
      }
      if (ip6 != null) {
        c.routeAdd(Route.builder(IpNet.parse("::/0")).withGateway(bridgeAddr6.ip()).withLinkIndex(eth0.index())
            .build());
      }
    }
    Container container = new Container(host, ns, ip == null ? Ip4.ANY : ip, Optional.ofNullable(ip6));
    containers.add(container);
    return container;
  }

  /**
   * Sends one ping from namespace {@code from} to {@code to} ({@code ping -c 1 -W 1}); returns
   * whether a reply came. {@code to} should be an address inside this cluster.
   *
   * @throws IOException if {@code ping} cannot be run
   */
  public boolean ping(NetNs from, IpAddress to) throws IOException {
    checkArgument(from.name() != null, "ping needs a named namespace");
    List<String> cmd = List.of("ip", "netns", "exec", from.name(), "ping", "-n", "-q", "-c", "1", "-W", "1",
        to.toString());
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pinging " + to, e);
    }
  }

  /**
   * Pings until a reply comes or {@code timeout} passes (routes and neighbours may take a moment).
   *
   * @throws IOException if {@code ping} cannot be run
   */
  public boolean awaitPing(NetNs from, IpAddress to, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      if (ping(from, to)) {
        return true;
      }
    } while (System.nanoTime() < deadline);
    return false;
  }

  /**
   * Opens a TCP listener in {@code server} on {@code serverIp:port}, connects from {@code client},
   * sends {@code message} and returns what the server echoed back (the message, upper-cased, so
   * a reply cannot be mistaken for a local echo). Bounded by 10 s.
   *
   * @throws IOException if any step fails or times out
   */
  public String tcpExchange(NetNs client, NetNs server, IpAddress serverIp, int port, String message) throws IOException {
    ServerSocket listener = server.run(() -> {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(serverIp.toInetAddress(), port));
      s.setSoTimeout(10_000);
      return s;
    });
    try (listener) {
      CompletableFuture<Void> echo = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try (Socket s = listener.accept()) {
          s.setSoTimeout(10_000);
          String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
          OutputStream out = s.getOutputStream();
          out.write((line == null ? "" : line.toUpperCase(java.util.Locale.ROOT) + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
          echo.complete(null);
        } catch (IOException e) {
          echo.completeExceptionally(e);
        }
      }, "testcluster-echo");
      t.setDaemon(true);
      t.start();
      String reply = client.run(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(serverIp.toInetAddress(), port), 5_000);
          s.setSoTimeout(10_000);
          s.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
          s.getOutputStream().flush();
          return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
      });
      echo.get(10, TimeUnit.SECONDS);
      return reply;
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("tcp exchange with " + serverIp + ":" + port + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * Sends {@code bytes} random bytes over TCP from {@code client} to a listener on
   * {@code serverIp:port} in {@code server} and returns whether the SHA-256 the server computed
   * matches the sender's: bulk traffic, so the kernel hands a tunnel full-size segments (and TSO
   * super-packets where a device offloads). Bounded by 30 s.
   *
   * @throws IOException if a step fails or times out
   */
  public boolean bulkTransfer(NetNs client, NetNs server, IpAddress serverIp, int port, int bytes) throws IOException {
    byte[] data = new byte[bytes];
    new java.util.Random(port).nextBytes(data);
    byte[] sent = sha256(data);
    ServerSocket listener = server.run(() -> {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(serverIp.toInetAddress(), port));
      s.setSoTimeout(20_000);
      return s;
    });
    try (listener) {
      CompletableFuture<byte[]> got = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try (Socket s = listener.accept()) {
          s.setSoTimeout(20_000);
          java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
          byte[] buf = new byte[65536];
          long total = 0;
          for (int n; (n = s.getInputStream().read(buf)) > 0; ) {
            md.update(buf, 0, n);
            total += n;
          }
          got.complete(total == bytes ? md.digest() : new byte[0]);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
          got.completeExceptionally(e);
        }
      }, "testcluster-bulk-reader");
      reader.setDaemon(true);
      reader.start();
      client.run(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(serverIp.toInetAddress(), port), 5_000);
          s.getOutputStream().write(data);
        }
        return null;
      });
      return java.util.Arrays.equals(sent, got.get(30, TimeUnit.SECONDS));
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("bulk transfer to " + serverIp + ":" + port + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(data);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * Deletes every namespace of the cluster (and with them all devices, including veth pairs);
   * idempotent; failures are collected and do not stop the teardown.
   *
   * @throws UncheckedIOException if some namespace could not be deleted (after trying all)
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // closing fds and sockets does not fail in practice; keep tearing down
      }
    }
    IOException failure = deleteAll(created);
    if (failure != null) {
      throw new UncheckedIOException(failure);
    }
  }

  private static IOException deleteAll(List<String> names) {
    IOException failure = null;
    List<String> reversed = new ArrayList<>(names);
    Collections.reverse(reversed);
    for (String name : reversed) {
      try {
        if (NetNs.exists(name)) {
          NetNs.delete(name);
        }
      } catch (NetlinkException e) {
        if (failure == null) {
          failure = new IOException("could not delete namespace " + name, e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  @Override
  public String toString() {
    return "TestCluster{" + prefix + ", hosts=" + hosts.size() + ", containers=" + containers.size() + "}";
  }

  /** Builds a {@link TestCluster}. */
  public static final class Builder {
    private String prefix;
    private int hosts = 2;
    private boolean ipv6;

    private Builder() {}

    /**
     * Sets the namespace name prefix (default: {@code otc} + random hex). With a fixed prefix,
     * leftovers of an earlier crashed run ({@code PREFIX-*}) are deleted first.
     */
    public Builder withPrefix(String prefix) {
      checkArgument(prefix != null && prefix.matches("[A-Za-z0-9_.]{1,40}"), "invalid prefix: %s", prefix);
      this.prefix = prefix;
      return this;
    }

    /** Sets the number of hosts, 1..200. */
    public Builder withHosts(int n) {
      checkArgument(n >= 1 && n <= 200, "hosts must be in 1..200: %s", n);
      this.hosts = n;
      return this;
    }

    /**
     * Gives every host an IPv6 underlay address too ({@code 2001:db8::(10+i)/64} on
     * {@code eth0}) and turns IPv6 forwarding on, for dual-stack and IPv6-only networks.
     */
    public Builder withIpv6Underlay() {
      this.ipv6 = true;
      return this;
    }

    /**
     * Builds the underlay and the hosts; on failure everything made so far is deleted.
     *
     * @throws IOException if a kernel call fails
     */
    public TestCluster build() throws IOException {
      String p = prefix != null ? prefix : "otc" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
      List<String> leftovers = new ArrayList<>();
      for (String name : NetNs.list()) {
        if (name.startsWith(p + "-")) {
          leftovers.add(name);
        }
      }
      IOException stale = deleteAll(leftovers);
      if (stale != null) {
        throw stale;
      }
      TestCluster c = new TestCluster(p);
      try {
        try (NetlinkHandle ul = NetlinkHandle.openIn(c.underlay)) {
          ul.linkAdd(Link.of(LinkAttrs.builder("br0").withUp(true).build(), BridgeInfo.DEFAULT));
        }
        for (int i = 1; i <= hosts; i++) {
          c.addHost(i, ipv6);
        }
        return c;
      } catch (IOException | RuntimeException e) {
        try {
          c.close();
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
  }
}
