package io.overlaynet.etcd.testing;

import io.overlaynet.etcd.EtcdOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that runs one real etcd for a test class: started before the first test,
 * killed (and its data deleted) after the last. Without {@code /usr/bin/etcd} the class fails with
 * "apt-get install etcd-server etcd-client" (it is skipped only under
 * {@code OVERLAYNET_ALLOW_SKIP=true}, see {@link io.overlaynet.testing.Prerequisites}).
 *
 * <p>Register it on a static field (so it spans the class) and take what you need from it:
 *
 * <pre>{@code
 * class MyEtcdIT {
 *   @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();
 *
 *   @Test void works() {
 *     try (EtcdStore store = EtcdStore.connect(ETCD.options())) { ... }
 *     ETCD.server().stop();  ETCD.server().start();  ETCD.server().compact(rev);
 *   }
 * }
 * }</pre>
 *
 * <p>Or declaratively, with parameters: {@code @ExtendWith(EtcdExtension.class)} and test methods
 * taking an {@link EtcdServer}, {@link EtcdOptions} or {@link TestCertificates} parameter. A test
 * that stopped etcd and failed before starting it again does not break the next test: etcd is
 * started again before each test if it is not running.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    ParameterResolver {

  private final boolean tls;
  private EtcdServer server;
  private TestCertificates certificates;
  private Path certDir;

  /** An extension for a plain-HTTP etcd. */
  public EtcdExtension() {
    this(false);
  }

  private EtcdExtension(boolean tls) {
    this.tls = tls;
  }

  /**
   * An extension for an etcd that serves TLS and requires client certificates; the certificates
   * are generated with openssl (see {@link TestCertificates}) and {@link #options()} uses them.
   */
  public static EtcdExtension withTls() {
    return new EtcdExtension(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    ensureStarted();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ensureStarted();
    if (!server.isRunning()) {
      server.start();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
    if (certDir != null) {
      try (Stream<Path> files = Files.walk(certDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // Best effort.
      }
      certDir = null;
    }
  }

  /** Returns the running server (stop / start / etcdctl / compact). */
  public EtcdServer server() {
    if (server == null) {
      throw new IllegalStateException("etcd not started: register EtcdExtension on a static field");
    }
    return server;
  }

  /** Returns the client URL, e.g. {@code http://127.0.0.1:40123}. */
  public String endpoint() {
    return server().endpoint();
  }

  /** Returns store options that reach the server (see {@link EtcdServer#options()}). */
  public EtcdOptions options() {
    return server().options();
  }

  /** Returns the generated certificates ({@link #withTls()} only). */
  public TestCertificates certificates() {
    if (certificates == null) {
      throw new IllegalStateException("no certificates: use EtcdExtension.withTls()");
    }
    return certificates;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == EtcdServer.class || type == EtcdOptions.class || (tls && type == TestCertificates.class);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    ensureStarted();
    Class<?> type = parameter.getParameter().getType();
    if (type == EtcdServer.class) {
      return server;
    }
    if (type == EtcdOptions.class) {
      return server.options();
    }
    return certificates;
  }

  private synchronized void ensureStarted() {
    if (server != null) {
      return;
    }
    EtcdServer.requireInstalled();
    EtcdServer.Builder builder = EtcdServer.builder();
    if (tls) {
      try {
        certDir = Files.createTempDirectory("overlaynet-etcd-certs-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      certificates = TestCertificates.generate(certDir);
      builder.withTls(certificates);
    }
    server = builder.start();
  }
}
