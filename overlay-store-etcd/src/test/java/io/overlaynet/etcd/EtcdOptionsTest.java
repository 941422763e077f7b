package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Options validation and the small pure helpers; no etcd needed. Runs without jetcd on the class
 * path (pom.xml); the gRPC error mapping is tested in {@link JetcdSupportTest}.
 */
class EtcdOptionsTest {

  @Test
  void defaultsMatchFlanneld() {
    EtcdOptions d = EtcdOptions.DEFAULT;
    assertEquals(List.of(URI.create("http://127.0.0.1:2379")), d.endpoints());
    assertEquals("/coreos.com/network", d.keyPrefix());
    assertEquals(Duration.ofSeconds(5), d.requestTimeout());
    assertFalse(d.usesTls());
    assertEquals(Optional.empty(), d.username());
  }

  @Test
  void endpointsSplitOnCommasLikeEtcdEndpoints() {
    EtcdOptions o = EtcdOptions.DEFAULT.withEndpoints("http://10.0.0.1:2379, http://10.0.0.2:2379", "http://h3:4001/");
    assertEquals(List.of(URI.create("http://10.0.0.1:2379"), URI.create("http://10.0.0.2:2379"),
        URI.create("http://h3:4001")), o.endpoints());
  }

  @Test
  void badEndpointsAreRejectedWithTheValue() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withEndpoints("10.0.0.1:2379"))
        .getMessage().contains("10.0.0.1:2379"));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withEndpoints("http://h"));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withEndpoints(" , "));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withEndpoints("http://a:1,https://b:2"));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withEndpoints("http://a:1/v2/keys"));
  }

  @Test
  void clientCertificateNeedsItsKeyAndHttps() {
    Path cert = Path.of("c.pem");
    Path key = Path.of("k.pem");
    EtcdOptions.Builder https = EtcdOptions.builder().withEndpoints("https://e:2379");
    assertThrows(IllegalArgumentException.class, () -> https.withTls(null, cert, null).build());
    assertThrows(IllegalArgumentException.class, () -> https.withTls(null, null, key).build());
    assertThrows(IllegalArgumentException.class,
        () -> EtcdOptions.builder().withTls(null, cert, key).build(), "http endpoint with a client cert");
    EtcdOptions ok = https.withTls(null, cert, key).build();
    assertTrue(ok.usesTls() && ok.usesClientCertificate());
    // flanneld ignores a CA file without cert and key on http: allowed here too (warning at connect).
    assertFalse(EtcdOptions.builder().withTls(Path.of("ca.pem"), null, null).build().usesTls());
  }

  @Test
  void credentialsGoTogetherAndThePasswordIsNeverPrinted() {
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.builder().withCredentials("u", null));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.builder().withCredentials("", "p"));
    EtcdOptions o = EtcdOptions.DEFAULT.withCredentials("flannel", "hunter2");
    assertEquals(Optional.of("flannel"), o.username());
    assertFalse(o.toString().contains("hunter2"), o.toString());
  }

  @Test
  void withMethodsCopyAndEqualityIsByValue() {
    EtcdOptions a = EtcdOptions.DEFAULT.withKeyPrefix("/my/net/").withRequestTimeout(Duration.ofSeconds(2));
    assertEquals("/my/net", a.keyPrefix());
    assertEquals("/coreos.com/network", EtcdOptions.DEFAULT.keyPrefix(), "DEFAULT is untouched");
    assertEquals(a, a.toBuilder().build());
    assertEquals(a.hashCode(), a.toBuilder().build().hashCode());
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withKeyPrefix("coreos.com"));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.DEFAULT.withRequestTimeout(Duration.ZERO));
  }

  @Test
  void ttlIsRoundedUpToWholeSecondsAndZeroMeansNoLease() {
    assertEquals(0, LeaseTtl.seconds(Duration.ZERO));
    assertEquals(1, LeaseTtl.seconds(Duration.ofMillis(1)));
    assertEquals(86400, LeaseTtl.seconds(Duration.ofHours(24)));
    assertEquals(2, LeaseTtl.seconds(Duration.ofMillis(1500)));
    assertThrows(IllegalArgumentException.class, () -> LeaseTtl.seconds(Duration.ofSeconds(-1)));
  }
}
