package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gRPC transport's helpers, with jetcd-core on the class path (this module's pom.xml runs the
 * {@code Jetcd*Test} classes in a surefire execution of their own, the other unit tests without
 * jetcd); {@link GrpcWithoutJetcdTest} is the other side.
 */
class JetcdSupportTest {

  @Test
  void onlyOutagesAreTransient() {
    assertTrue(EtcdErrors.isTransient(Status.UNAVAILABLE.asRuntimeException()));
    assertTrue(EtcdErrors.isTransient(Status.DEADLINE_EXCEEDED.asRuntimeException()));
    assertFalse(EtcdErrors.isTransient(Status.UNAUTHENTICATED.asRuntimeException()));
    assertFalse(EtcdErrors.isTransient(Status.INVALID_ARGUMENT.asRuntimeException()));
    assertTrue(EtcdErrors.describe(new RuntimeException("outer", new RuntimeException("the reason")))
        .contains("the reason"));
  }

  @Test
  void withJetcdOnTheClassPathGrpcConnectsLazily() {
    assertTrue(Jetcd.isAvailable());
    // connect() sends nothing: no etcd is needed to get the store.
    try (EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT
        .withEndpoints("http://127.0.0.1:9").withTransport(EtcdOptions.Transport.GRPC))) {
      assertInstanceOf(JetcdStore.class, store);
      assertEquals(List.of(URI.create("http://127.0.0.1:9")), store.options().endpoints());
    }
  }

  @Test
  void theDependencyNamedInTheErrorIsTheOneThisModuleIsBuiltWith() {
    assertEquals("io.etcd:jetcd-core:" + System.getProperty("overlaynet.jetcd.version"), Jetcd.ARTIFACT);
  }
}
