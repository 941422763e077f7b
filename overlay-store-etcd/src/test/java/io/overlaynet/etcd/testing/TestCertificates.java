package io.overlaynet.etcd.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for TLS tests, made with the {@code openssl} command: a CA, a server
 * certificate for {@code 127.0.0.1} / {@code localhost}, and client certificates (RSA and EC).
 *
 * <p>Keys come in the forms flannel users have: PKCS#8 ({@code BEGIN PRIVATE KEY}, what openssl 3
 * writes and what netty needs), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) and SEC1
 * ({@code BEGIN EC PRIVATE KEY}, what cfssl writes).
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.generate(tempDir);
 * EtcdServer etcd = EtcdServer.builder().withTls(certs).start();
 * }</pre>
 */
public final class TestCertificates {

  /** The openssl binary. */
  public static final Path OPENSSL = Path.of("/usr/bin/openssl");

  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /**
   * Generates a CA and certificates into {@code dir} (2 days validity). Fails the test if openssl is
   * missing (a skip only with the opt-in of {@link Prerequisites}).
   *
   * @throws IllegalStateException if an openssl command fails
   */
  public static TestCertificates generate(Path dir) {
    Prerequisites.require(Files.isExecutable(OPENSSL), "the openssl command " + OPENSSL, "apt-get install openssl");
    TestCertificates c = new TestCertificates(dir);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("server.ext"),
          "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
              + "basicConstraints=CA:FALSE\n"
              + "keyUsage=critical,digitalSignature,keyEncipherment\n"
              + "extendedKeyUsage=serverAuth,clientAuth\n", UTF_8);
      Files.writeString(dir.resolve("client.ext"),
          "basicConstraints=CA:FALSE\n"
              + "keyUsage=critical,digitalSignature,keyEncipherment\n"
              + "extendedKeyUsage=clientAuth\n", UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    c.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=overlaynet-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    c.signed("server", "/CN=127.0.0.1", "server.ext", "rsa");
    c.signed("client", "/CN=root", "client.ext", "rsa");
    c.signed("client-ec", "/CN=root", "client.ext", "ec");
    c.openssl("rsa", "-in", "client-key.pem", "-traditional", "-out", "client-key-pkcs1.pem");
    return c;
  }

  /** Returns the directory holding the files. */
  public Path dir() {
    return dir;
  }

  /** Returns the CA certificate (PEM). */
  public Path caCert() {
    return dir.resolve("ca.pem");
  }

  /** Returns the server certificate (SAN IP 127.0.0.1, DNS localhost). */
  public Path serverCert() {
    return dir.resolve("server.pem");
  }

  /** Returns the server key (PKCS#8). */
  public Path serverKey() {
    return dir.resolve("server-key.pem");
  }

  /** Returns the RSA client certificate (CN root). */
  public Path clientCert() {
    return dir.resolve("client.pem");
  }

  /** Returns the RSA client key in PKCS#8 form ({@code BEGIN PRIVATE KEY}). */
  public Path clientKey() {
    return dir.resolve("client-key.pem");
  }

  /** Returns the same RSA client key in PKCS#1 form ({@code BEGIN RSA PRIVATE KEY}). */
  public Path clientKeyPkcs1() {
    return dir.resolve("client-key-pkcs1.pem");
  }

  /** Returns the EC (P-256) client certificate. */
  public Path clientEcCert() {
    return dir.resolve("client-ec.pem");
  }

  /** Returns the EC client key in SEC1 form ({@code BEGIN EC PRIVATE KEY}). */
  public Path clientEcKey() {
    return dir.resolve("client-ec-key.pem");
  }

  private void signed(String name, String subject, String ext, String keyType) {
    if (keyType.equals("ec")) {
      // SEC1 "EC PRIVATE KEY", as cfssl writes it.
      openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + "-key.pem");
      openssl("req", "-new", "-key", name + "-key.pem", "-out", name + ".csr", "-subj", subject);
    } else {
      openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + "-key.pem", "-out", name + ".csr",
          "-subj", subject);
    }
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
        "-out", name + ".pem", "-days", "2", "-extfile", ext);
  }

  private void openssl(String... args) {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(OPENSSL.toString());
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
