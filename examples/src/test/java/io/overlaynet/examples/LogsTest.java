package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's log as an operator sees it: {@link AgentMain} in a child JVM, against an etcd
 * stand-in that has no network config (the agent logs a warning and then retries, at debug
 * level, every second or so). Every line carries an ISO-8601 timestamp and a level; {@code -v}
 * and {@code FLANNELD_V} decide whether the retries show; with {@code --etcd-transport=grpc},
 * gRPC's java.util.logging records arrive in the same format and obey {@code -v} too.
 */
class LogsTest {

  /** {@code 2026-12-01T15:20:01.123Z INFO Agent - ...} (simplelogger.properties). */
  static final Pattern RECORD = Pattern.compile(
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) (TRACE|DEBUG|INFO|WARN|ERROR) \\S+ - .*");
  /** The lines of a stack trace that a record with an exception carries after its first line. */
  static final Pattern TRACE_LINE = Pattern.compile("(\tat |\t\\.\\.\\. \\d+ more|Caused by: |Suppressed: |\t|[\\w.$]+(Exception|Error)\\b).*");
  static final String RETRY_DEBUG = " DEBUG Agent - Fetching the network config failed again";
  static final String CONFIG_WARN = " WARN Agent - Fetching the network config failed";

  @TempDir
  Path dir;

  HttpServer etcd;
  /** Range requests answered: each is one attempt to read the network config. */
  final AtomicInteger ranges = new AtomicInteger();

  @BeforeEach
  void startEtcdWithoutConfig() throws IOException {
    // etcd's v3 JSON gateway answering every range with no keys: "flannel config not found".
    etcd = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    etcd.createContext("/v3/kv/range", ex -> {
      ex.getRequestBody().readAllBytes();
      byte[] body = "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"1\",\"revision\":\"7\",\"raft_term\":\"2\"}}"
          .getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
      ranges.incrementAndGet();
    });
    etcd.start();
  }

  @AfterEach
  void stopEtcd() {
    etcd.stop(0);
  }

  String etcdUrl() {
    return "http://127.0.0.1:" + etcd.getAddress().getPort();
  }

  @Test
  void atVerbosityZeroInfoAndWarningsOnly() throws Exception {
    try (Agent a = Agent.start(dir, List.of(), List.of("--etcd-endpoints=" + etcdUrl(), "-v=0"))) {
      a.awaitLine(l -> l.contains(CONFIG_WARN));
      // Two more attempts: the first of them has failed and been logged (at debug level, which
      // -v=2 shows, the next test) before the second is made.
      awaitRanges(ranges.get() + 2);
      List<String> lines = a.stop();
      assertEveryLineIsARecord(lines);
      assertTrue(lines.stream().anyMatch(l -> l.contains(" INFO OverlayAgent - Starting overlaynet")), String.join("\n", lines));
      assertEquals(List.of(), lines.stream().filter(l -> l.contains(" DEBUG ") || l.contains(" TRACE ")).toList());
    }
  }

  @Test
  void atVerbosityTwoTheRetriesShowAtDebugLevel() throws Exception {
    try (Agent a = Agent.start(dir, List.of(), List.of("--etcd-endpoints=" + etcdUrl(), "-v", "2"))) {
      a.awaitLine(l -> l.contains(RETRY_DEBUG));
      assertEveryLineIsARecord(a.stop());
    }
  }

  @Test
  void flanneldVSetsTheVerbosityToo() throws Exception {
    try (Agent a = Agent.start(dir, List.of(), List.of("--etcd-endpoints=" + etcdUrl()), "FLANNELD_V=3")) {
      a.awaitLine(l -> l.contains(RETRY_DEBUG));
      a.stop();
    }
  }

  @Test
  void aLevelGivenWithDashDWinsOverDashV() throws Exception {
    try (Agent a = Agent.start(dir, List.of("-D" + Verbosity.LEVEL_PROPERTY + "=warn"),
        List.of("--etcd-endpoints=" + etcdUrl(), "-v=2"))) {
      a.awaitLine(l -> l.contains(CONFIG_WARN));
      awaitRanges(ranges.get() + 2);
      List<String> lines = a.stop();
      assertEveryLineIsARecord(lines);
      assertEquals(List.of(), lines.stream().filter(l -> !l.contains(" WARN ") && !l.contains(" ERROR ")).toList());
    }
  }

  @Test
  void grpcLogsInTheSameFormatAndItsDetailOnlyAtHigherVerbosity() throws Exception {
    // Nothing listens on port 1: gRPC retries, jetcd and the agent warn.
    List<String> quiet;
    try (Agent a = Agent.start(dir, List.of(), List.of("--etcd-endpoints=http://127.0.0.1:1", "--etcd-transport=grpc",
        "-v=0"))) {
      a.awaitLine(l -> l.contains(CONFIG_WARN));
      quiet = a.stop();
    }
    assertEveryLineIsARecord(quiet);
    assertEquals(List.of(), quiet.stream().filter(l -> l.contains(" DEBUG ") || l.contains(" TRACE ")).toList());

    try (Agent a = Agent.start(dir, List.of(), List.of("--etcd-endpoints=http://127.0.0.1:1", "--etcd-transport=grpc",
        "-v=2"))) {
      // gRPC's channel log, FINE in java.util.logging: DEBUG through the bridge.
      a.awaitLine(l -> l.contains(" DEBUG ChannelLogger - [Channel<"));
      assertEveryLineIsARecord(a.stop());
    }
  }

  void awaitRanges(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (ranges.get() < n) {
      assertTrue(System.nanoTime() < deadline, "the agent made " + ranges.get() + " attempts, not " + n);
      Thread.sleep(20);
    }
  }

  /** Every line is a record, or a line of the stack trace that follows one. */
  static void assertEveryLineIsARecord(List<String> lines) {
    assertTrue(!lines.isEmpty() && RECORD.matcher(lines.get(0)).matches(), "first line: " + lines);
    for (String l : lines) {
      if (!RECORD.matcher(l).matches() && !TRACE_LINE.matcher(l).matches()) {
        fail("not a log record: [" + l + "] in\n" + String.join("\n", lines));
      }
    }
  }

  /** The agent in a child JVM on this test's class path, its stderr (and stdout) collected by line. */
  static final class Agent implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private Agent(Process process) {
      this.process = process;
      this.reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(l);
          }
        } catch (IOException e) {
          // the process is gone
        }
      }, "agent-log-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Agent start(Path dir, List<String> jvmOptions, List<String> args, String... env) throws IOException {
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
      cmd.addAll(jvmOptions);
      cmd.add(AgentMain.class.getName());
      cmd.addAll(args);
      cmd.add("--subnet-file=" + dir.resolve("subnet.env"));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_") || k.equals("NOTIFY_SOCKET")
          || k.startsWith("WATCHDOG_"));
      for (String e : env) {
        pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
      }
      return new Agent(pb.start());
    }

    void awaitLine(Predicate<String> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lines.stream().noneMatch(wanted)) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          reader.join(1000);
          fail((process.isAlive() ? "no such line within 30 s" : "the agent exited with " + process.exitValue())
              + ":\n" + String.join("\n", lines));
        }
        Thread.sleep(20);
      }
    }

    /** Stops the agent with SIGTERM (a clean exit 0) and returns everything it printed. */
    List<String> stop() throws InterruptedException {
      process.destroy();
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the agent did not stop within 20 s of SIGTERM");
      reader.join(5000);
      assertEquals(0, process.exitValue(), String.join("\n", lines));
      return List.copyOf(lines);
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
