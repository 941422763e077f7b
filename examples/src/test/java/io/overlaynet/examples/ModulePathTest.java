package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An embedder on the module path: a consumer module that requires overlaynet's modules compiles
 * against the exported API, cannot compile against {@code impl}, {@code internal} or
 * {@code codec}, and runs: the backends are bound as services, netlink's libc binding loads, and
 * the agent's pieces work, all without {@code --add-opens} or {@code --add-exports}.
 */
class ModulePathTest {

  /**
   * The library modules and their run-time dependencies, picked from this test's class path by
   * file name. Only these go on the module path: jetcd's tree (optional) splits packages across
   * jars and cannot be resolved as modules, and test libraries do not belong there.
   */
  private static final Pattern MODULE_PATH_ENTRY = Pattern.compile(
      ".*/(overlay-(api|netlink|backend-[a-z]+|store-etcd)/target/classes"
          + "|overlay-(api|netlink|backend-[a-z]+|store-etcd)-[^/]*(?<!-tests)\\.jar"
          + "|(guava|failureaccess|gson|slf4j-api|jnr-[a-z0-9]+|jffi|asm(-[a-z]+)?)-[0-9][^/]*\\.jar)");

  private static final String MODULE_INFO = """
      module consumer {
        requires io.overlaynet.api;
        requires io.overlaynet.netlink;
        requires io.overlaynet.etcd;
      }
      """;

  private static String modulePath;

  @TempDir static Path dir;

  @BeforeAll
  static void pickModulePath() {
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (MODULE_PATH_ENTRY.matcher(e.replace(File.separatorChar, '/')).matches()) {
        entries.add(e);
      }
    }
    for (String wanted : List.of("overlay-api", "overlay-netlink", "overlay-backend-udp",
        "overlay-backend-vxlan", "overlay-backend-hostgw", "overlay-store-etcd", "jnr-ffi", "guava")) {
      assertTrue(entries.stream().anyMatch(e -> e.contains(wanted)), wanted + " not on the class path: " + entries);
    }
    modulePath = String.join(File.pathSeparator, entries);
  }

  @Test
  void aConsumerCompilesAndRunsOnTheModulePath() throws Exception {
    Path src = dir.resolve("ok-src");
    write(src.resolve("module-info.java"), MODULE_INFO);
    write(src.resolve("consumer/Main.java"), """
        package consumer;

        import io.overlaynet.Backend;
        import io.overlaynet.NetworkConfig;
        import io.overlaynet.SubnetManager;
        import io.overlaynet.SubnetManagerOptions;
        import io.overlaynet.LeaseAttrs;
        import io.overlaynet.agent.HostNetwork;
        import io.overlaynet.etcd.EtcdOptions;
        import io.overlaynet.ip.Ip4;
        import io.overlaynet.ip.Ip4Net;
        import io.overlaynet.netlink.NetlinkHandle;
        import io.overlaynet.store.InMemoryStore;
        import io.overlaynet.store.Store;

        public class Main {
          public static void main(String[] args) throws Exception {
            for (String type : new String[] {"vxlan", "host-gw", "udp"}) {
              System.out.println("backend " + type + " " + Backend.byType(type).isPresent());
            }
            System.out.println("host network " + HostNetwork.system().getClass().getName());
            try (NetlinkHandle nl = NetlinkHandle.open()) {
              System.out.println("links " + nl.linkList().size());
            }
            try (InMemoryStore store = InMemoryStore.create()) {
              NetworkConfig config = NetworkConfig.builder().withNetwork(Ip4Net.parse("10.5.0.0/16")).build();
              store.put("/coreos.com/network/config", config.toJson(), Store.NO_TTL);
              try (SubnetManager sm = SubnetManager.overStore(store, SubnetManagerOptions.DEFAULT)) {
                System.out.println("lease " + sm.acquireLease(LeaseAttrs.of(Ip4.parse("192.0.2.1"))).subnet());
              }
            }
            System.out.println("etcd " + EtcdOptions.DEFAULT.endpoints());
            try {
              Class.forName("io.overlaynet.impl.Backoff").getConstructors()[0]
                  .newInstance(java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2));
              System.out.println("impl open");
            } catch (IllegalAccessException expected) {
              System.out.println("impl closed");
            }
          }
        }
        """);
    Path out = dir.resolve("ok-out");
    List<Diagnostic<? extends JavaFileObject>> errors = compile(src, out);
    assertEquals(List.of(), errors.stream().map(d -> d.getMessage(Locale.ROOT)).toList());

    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--module-path", modulePath + File.pathSeparator + out,
        "-m", "consumer/consumer.Main")
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "consumer did not exit within 60 s");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("backend vxlan true"), output);
    assertTrue(output.contains("backend host-gw true"), output);
    assertTrue(output.contains("backend udp true"), output);
    assertTrue(output.contains("host network io.overlaynet.netlink.NetlinkHostNetwork"), output);
    assertTrue(Pattern.compile("(?m)^links [1-9]").matcher(output).find(), output);
    assertTrue(Pattern.compile("(?m)^lease 10\\.5\\.[0-9]+\\.0/24$").matcher(output).find(), output);
    assertTrue(output.contains("etcd [http://127.0.0.1:2379]"), output);
    assertTrue(output.contains("impl closed"), output);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "io.overlaynet.impl.Backoff",
      "io.overlaynet.netlink.internal.Native",
      "io.overlaynet.netlink.internal.ffi.LibC",
      "io.overlaynet.netlink.codec.NlMsgHdr",
      "io.overlaynet.udp.internal.PeerTable",
  })
  void internalPackagesAreNotAccessible(String className) throws IOException {
    String pkg = className.substring(0, className.lastIndexOf('.'));
    String simple = className.substring(pkg.length() + 1);
    Path src = dir.resolve("bad-src-" + simple);
    write(src.resolve("module-info.java"), MODULE_INFO.replace("requires io.overlaynet.etcd;",
        "requires io.overlaynet.etcd;\n  requires io.overlaynet.udp;"));
    write(src.resolve("consumer/Bad.java"), """
        package consumer;

        public class Bad {
          Class<?> leak = %s.class;
        }
        """.formatted(className));
    List<Diagnostic<? extends JavaFileObject>> errors = compile(src, dir.resolve("bad-out-" + simple));
    assertFalse(errors.isEmpty(), className + " compiled from a consumer module");
    String messages = errors.stream().map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("\n"));
    assertTrue(messages.contains("package " + pkg + " is not visible")
        || messages.contains("package " + pkg + " is declared in module"), messages);
  }

  private static List<Diagnostic<? extends JavaFileObject>> compile(Path src, Path out) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<Path> sources;
    try (var files = Files.walk(src)) {
      sources = files.filter(f -> f.toString().endsWith(".java")).toList();
    }
    Files.createDirectories(out);
    try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      List<String> options = List.of("--release", "17", "--module-path", modulePath, "-d", out.toString());
      javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(sources)).call();
    }
    return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
