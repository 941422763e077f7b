package io.overlaynet.etcd.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real single-member etcd ({@code /usr/bin/etcd}, Debian package {@code etcd-server}) on free
 * loopback ports with a temporary data directory, for tests. Usually used through
 * {@link EtcdExtension}; can also be used directly (e.g. by a benchmark's {@code main}).
 *
 * <pre>{@code
 * try (EtcdServer etcd = EtcdServer.builder().start()) {
 *   try (EtcdStore store = EtcdStore.connect(etcd.options())) { ... }
 *   etcd.stop();            // SIGTERM, waits for exit
 *   etcd.start();           // same data dir, same ports
 *   etcd.compact(rev);      // etcdctl compact
 *   String v = etcd.etcdctl("get", "--print-value-only", "/coreos.com/network/config");
 * }
 * }</pre>
 *
 * <p>The data directory lives under {@code /dev/shm} when it exists (fsync on tmpfs costs nothing,
 * which keeps tests fast on slow disks). The process is killed on {@link #close()} and, as a last
 * resort, by a JVM shutdown hook.
 */
public final class EtcdServer implements AutoCloseable {

  /** The etcd server binary (Debian package {@code etcd-server}). */
  public static final Path ETCD = Path.of("/usr/bin/etcd");

  /** The etcd client binary (Debian package {@code etcd-client}). */
  public static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");

  private static final String READY = "ready to serve client requests";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration ETCDCTL_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");

  private final String name;
  private final TestCertificates tls;
  /** The network namespace etcd runs in and the address it listens on there, or null for loopback. */
  private final String netns;
  private final String host;
  private final Path baseDir;
  private final Path dataDir;
  private final Path logFile;
  private final int clientPort;
  private final int peerPort;
  private final Thread shutdownHook;
  private Process process;
  private String user;
  private String password;
  private boolean closed;

  private EtcdServer(Builder b) throws IOException {
    this.name = b.name;
    this.tls = b.tls;
    this.netns = b.netns;
    this.host = b.netns == null ? "127.0.0.1" : b.host;
    Path shm = Path.of("/dev/shm");
    Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    this.baseDir = Files.createTempDirectory(parent, "overlaynet-etcd-");
    this.dataDir = baseDir.resolve("data");
    this.logFile = baseDir.resolve("etcd.log");
    if (netns != null) {
      // A namespace of the test's own: etcd's standard ports are free there.
      this.clientPort = 2379;
      this.peerPort = 2380;
    } else {
      this.clientPort = freePort();
      int p = freePort();
      while (p == clientPort) {
        p = freePort();
      }
      this.peerPort = p;
    }
    this.shutdownHook = new Thread(this::destroyQuietly, "etcd-test-server-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Returns whether {@code /usr/bin/etcd} and {@code /usr/bin/etcdctl} are installed. */
  public static boolean isInstalled() {
    return Files.isExecutable(ETCD) && Files.isExecutable(ETCDCTL);
  }

  /**
   * Fails the test unless etcd is installed, saying what to install (a skip only with the opt-in of
   * {@link Prerequisites}).
   */
  public static void requireInstalled() {
    Prerequisites.require(isInstalled(), "the etcd binaries " + ETCD + " and " + ETCDCTL,
        "apt-get install etcd-server etcd-client");
  }

  /** Returns a builder for a plain-HTTP server. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the client URL, e.g. {@code http://127.0.0.1:40123}. */
  public String endpoint() {
    return (tls != null ? "https" : "http") + "://" + host + ":" + clientPort;
  }

  /**
   * Returns store options that reach this server: its endpoint, the client certificate when TLS is
   * on, and the credentials given to {@link #enableAuth}. Short timeouts (3 s) keep failing tests
   * quick.
   */
  public EtcdOptions options() {
    EtcdOptions.Builder b = EtcdOptions.builder()
        .withEndpoints(endpoint())
        .withRequestTimeout(Duration.ofSeconds(3))
        .withConnectTimeout(Duration.ofSeconds(2));
    if (tls != null) {
      b.withTls(tls.caCert(), tls.clientCert(), tls.clientKey());
    }
    if (user != null) {
      b.withCredentials(user, password);
    }
    return b.build();
  }

  /** Returns the client port. */
  public int clientPort() {
    return clientPort;
  }

  /** Returns the data directory (kept across {@link #stop()} / {@link #start()}). */
  public Path dataDir() {
    return dataDir;
  }

  /** Returns etcd's log file (stdout and stderr of every run, appended). */
  public Path logFile() {
    return logFile;
  }

  /** Returns whether the process is running. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * Starts etcd (again) on the same data directory and ports and waits until it serves clients.
   *
   * @throws IllegalStateException if it does not become ready within 30 s (the log tail is in the
   *     message)
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("etcd test server closed");
    }
    if (isRunning()) {
      return;
    }
    String scheme = tls != null ? "https" : "http";
    String clientUrl = scheme + "://" + host + ":" + clientPort;
    String peerUrl = "http://" + host + ":" + peerPort;
    List<String> cmd = new ArrayList<>(inNetns());
    cmd.addAll(List.of(
        ETCD.toString(),
        "--name", name,
        "--data-dir", dataDir.toString(),
        "--listen-client-urls", clientUrl,
        "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl,
        "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", name + "=" + peerUrl,
        "--initial-cluster-token", baseDir.getFileName().toString(),
        "--initial-cluster-state", "new"));
    if (tls != null) {
      cmd.addAll(List.of(
          "--cert-file", tls.serverCert().toString(),
          "--key-file", tls.serverKey().toString(),
          "--trusted-ca-file", tls.caCert().toString(),
          "--client-cert-auth"));
    }
    try {
      int readyBefore = countReady();
      ProcessBuilder pb = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      process = pb.start();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (countReady() <= readyBefore) {
        if (!process.isAlive()) {
          throw new IllegalStateException("etcd exited with status " + process.exitValue() + ":\n" + logTail());
        }
        if (System.nanoTime() > deadline) {
          destroyQuietly();
          throw new IllegalStateException("etcd not ready within " + START_TIMEOUT + ":\n" + logTail());
        }
        Thread.sleep(20);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + ETCD, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting etcd", e);
    }
  }

  /** Stops etcd gracefully (SIGTERM; SIGKILL after 10 s) and waits until it has exited. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    process = null;
  }

  /** Kills etcd at once (SIGKILL), as a crash would, and waits until it has exited. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    try {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /**
   * Runs {@code etcdctl} (v3 API) against this server with its endpoint, TLS files and credentials
   * and returns its standard output.
   *
   * @throws IllegalStateException if etcdctl fails (its stderr is in the message)
   */
  public String etcdctl(String... args) {
    return new String(etcdctlBytes(null, args), UTF_8);
  }

  /** Runs {@code etcdctl} with {@code stdin} as its input (e.g. for {@code txn}); see {@link #etcdctl}. */
  public String etcdctlWithInput(String stdin, String... args) {
    return new String(etcdctlBytes(stdin.getBytes(UTF_8), args), UTF_8);
  }

  /** Runs {@code etcdctl} and returns its standard output as bytes; see {@link #etcdctl}. */
  public byte[] etcdctlBytes(byte[] stdin, String... args) {
    List<String> cmd = new ArrayList<>(inNetns());
    cmd.addAll(List.of(ETCDCTL.toString(), "--endpoints", endpoint(), "--command-timeout", "10s"));
    if (tls != null) {
      cmd.addAll(List.of("--cacert", tls.caCert().toString(), "--cert", tls.clientCert().toString(),
          "--key", tls.clientKey().toString()));
    }
    if (user != null) {
      cmd.addAll(List.of("--user", user + ":" + password));
    }
    cmd.addAll(List.of(args));
    try {
      Path err = Files.createTempFile(baseDir, "etcdctl-", ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
      pb.environment().put("ETCDCTL_API", "3");
      Process p = pb.start();
      if (stdin != null) {
        p.getOutputStream().write(stdin);
      }
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(ETCDCTL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("etcdctl " + List.of(args) + " did not finish");
      }
      String stderr = Files.readString(err);
      Files.deleteIfExists(err);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed (" + p.exitValue() + "): "
            + stderr + new String(out, UTF_8));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + ETCDCTL, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running etcdctl", e);
    }
  }

  /** Compacts etcd's history up to {@code revision} ({@code etcdctl compact}). */
  public void compact(long revision) {
    etcdctl("compact", Long.toString(revision));
  }

  /** Returns etcd's current revision ({@code etcdctl endpoint status}). */
  public long revision() {
    Matcher m = REVISION.matcher(etcdctl("endpoint", "status", "-w", "json"));
    if (!m.find()) {
      throw new IllegalStateException("no revision in etcdctl endpoint status");
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * Turns on etcd authentication: adds user {@code root} with {@code rootPassword} and runs
   * {@code auth enable}. From then on {@link #etcdctl} and {@link #options()} use these
   * credentials.
   */
  public synchronized void enableAuth(String rootPassword) {
    etcdctl("user", "add", "root:" + rootPassword, "--interactive=false");
    etcdctl("auth", "enable");
    this.user = "root";
    this.password = rootPassword;
  }

  /** Kills etcd and deletes its directory; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    destroyQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway.
    }
  }

  @Override
  public String toString() {
    return "EtcdServer{" + endpoint() + ", " + baseDir + "}";
  }

  private void destroyQuietly() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    process = null;
    try (Stream<Path> files = Files.walk(baseDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Best effort: a temp directory left behind is harmless.
    }
  }

  /** The command prefix that runs a program in etcd's namespace (none for loopback). */
  private List<String> inNetns() {
    return netns == null ? List.of() : List.of("ip", "netns", "exec", netns);
  }

  private int countReady() throws IOException {
    if (!Files.exists(logFile)) {
      return 0;
    }
    int n = 0;
    String log = Files.readString(logFile, java.nio.charset.StandardCharsets.ISO_8859_1);
    for (int i = log.indexOf(READY); i >= 0; i = log.indexOf(READY, i + 1)) {
      n++;
    }
    return n;
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, java.nio.charset.StandardCharsets.ISO_8859_1);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Configures an {@link EtcdServer} before it starts. */
  public static final class Builder {
    private String name = "overlaynet-test";
    private TestCertificates tls;
    private String netns;
    private String host;

    private Builder() {}

    /**
     * Runs etcd (and {@code etcdctl}) inside the named network namespace, listening on
     * {@code address} there with etcd's standard ports 2379 and 2380, instead of on loopback:
     * for cluster tests whose agents reach etcd over the test's underlay (and can be cut off from
     * it there).
     */
    public Builder withNetns(String netns, String address) {
      this.netns = java.util.Objects.requireNonNull(netns, "netns");
      this.host = java.util.Objects.requireNonNull(address, "address");
      return this;
    }

    /** Sets the member name (default {@code overlaynet-test}). */
    public Builder withName(String name) {
      this.name = name;
      return this;
    }

    /**
     * Serves clients over TLS with {@code certs}' server certificate and requires client
     * certificates signed by its CA ({@code --client-cert-auth}).
     */
    public Builder withTls(TestCertificates certs) {
      this.tls = certs;
      return this;
    }

    /**
     * Creates the directories, picks free ports and starts etcd. Call
     * {@link EtcdServer#requireInstalled()} first in tests.
     *
     * @throws IllegalStateException if etcd does not start
     */
    public EtcdServer start() {
      RuntimeException failure = null;
      // A free port picked here can be taken by another process before etcd binds it: retry
      // with new ports a few times.
      for (int attempt = 0; attempt < 3; attempt++) {
        EtcdServer server;
        try {
          server = new EtcdServer(this);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        try {
          server.start();
          return server;
        } catch (RuntimeException e) {
          server.close();
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
          if (e.getMessage() == null || !e.getMessage().contains("address already in use")) {
            break;
          }
        }
      }
      throw failure;
    }
  }
}
