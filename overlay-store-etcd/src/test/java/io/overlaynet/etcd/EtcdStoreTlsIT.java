package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.etcd.testing.TestCertificates;
import io.overlaynet.etcd.testing.WatchRecorder;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd with {@code --client-cert-auth}: CA, server and client certificates generated with openssl,
 * client keys in the three PEM forms flannel users have.
 */
@SuppressWarnings("try") // try-with-resources for watches that are only closed
class EtcdStoreTlsIT {

  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.withTls();

  /** The transport under test; {@code EtcdStoreTlsGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  @Test
  void pkcs8ClientKeyReadsWritesAndWatches() throws Exception {
    assertTrue(Files.readString(ETCD.certificates().clientKey()).contains("BEGIN PRIVATE KEY"));
    assertTrue(ETCD.endpoint().startsWith("https://"));
    try (EtcdStore store = EtcdStore.connect(options())) {
      String prefix = "/tls-" + System.nanoTime() + "/";
      long rev = store.list(prefix).revision();
      WatchRecorder rec = new WatchRecorder();
      try (Store.Watch w = store.watch(prefix, rev + 1, rec)) {
        store.create(prefix + "a", "1", Duration.ofHours(24));
        rec.awaitCount(1, Duration.ofSeconds(10));
      }
      assertEquals("1", store.get(prefix + "a").orElseThrow().value());
      assertEquals("1\n", ETCD.server().etcdctl("get", "--print-value-only", prefix + "a"));
    }
  }

  @Test
  void pkcs1RsaClientKeyWorks() throws Exception {
    TestCertificates c = ETCD.certificates();
    assertTrue(Files.readString(c.clientKeyPkcs1()).contains("BEGIN RSA PRIVATE KEY"));
    try (EtcdStore store = EtcdStore.connect(options().withTls(c.caCert(), c.clientCert(), c.clientKeyPkcs1()))) {
      store.put("/tls/pkcs1", "ok", Store.NO_TTL);
      assertEquals("ok", store.get("/tls/pkcs1").orElseThrow().value());
    }
  }

  @Test
  void sec1EcClientKeyWorks() throws Exception {
    TestCertificates c = ETCD.certificates();
    assertTrue(Files.readString(c.clientEcKey()).contains("BEGIN EC PRIVATE KEY"));
    try (EtcdStore store = EtcdStore.connect(options().withTls(c.caCert(), c.clientEcCert(), c.clientEcKey()))) {
      store.put("/tls/ec", "ok", Store.NO_TTL);
      assertEquals("ok", store.get("/tls/ec").orElseThrow().value());
    }
  }

  @Test
  void withoutAClientCertificateTheServerRefuses() {
    EtcdOptions noClientCert = options().withTls(ETCD.certificates().caCert(), null, null)
        .withRequestTimeout(Duration.ofSeconds(2));
    try (EtcdStore store = EtcdStore.connect(noClientCert)) {
      assertThrows(StoreException.class, () -> store.get("/tls/x"));
    }
  }

  @Test
  void aServerSignedByAnotherCaIsNotTrusted(@TempDir Path dir) {
    TestCertificates other = TestCertificates.generate(dir);
    EtcdOptions wrongCa = options()
        .withTls(other.caCert(), ETCD.certificates().clientCert(), ETCD.certificates().clientKey())
        .withRequestTimeout(Duration.ofSeconds(2));
    try (EtcdStore store = EtcdStore.connect(wrongCa)) {
      assertThrows(StoreException.class, () -> store.get("/tls/x"));
    }
  }

  @Test
  void unreadableOrBogusKeyFilesFailAtConnectWithTheFileName(@TempDir Path dir) throws Exception {
    Path bogus = dir.resolve("bogus.pem");
    Files.writeString(bogus, "not a key");
    EtcdOptions options = options().withTls(ETCD.certificates().caCert(), ETCD.certificates().clientCert(), bogus);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EtcdStore.connect(options));
    assertTrue(e.getMessage().contains(bogus.toString()), e.getMessage());
    EtcdOptions missing = options().withTls(dir.resolve("none.pem"), null, null);
    assertThrows(IllegalArgumentException.class, () -> EtcdStore.connect(missing));
  }
}
