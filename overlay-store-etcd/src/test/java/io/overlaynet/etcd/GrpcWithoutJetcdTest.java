package io.overlaynet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.overlaynet.store.StoreException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an application that does not declare jetcd-core sees. This module's pom.xml runs the unit
 * tests and the HTTP *IT classes with jetcd-core and everything it brings (gRPC, netty, vert.x,
 * protobuf) removed from the class path, as an application that takes overlay-store-etcd alone
 * has it; the first test checks that they are really gone.
 */
class GrpcWithoutJetcdTest {

  @Test
  void theClassPathHasNoJetcdGrpcNettyVertxOrProtobuf() {
    for (String name : List.of("io.etcd.jetcd.Client", "io.grpc.Status", "io.netty.buffer.ByteBuf",
        "io.vertx.core.Vertx", "com.google.protobuf.Message")) {
      try {
        Class.forName(name, false, getClass().getClassLoader());
        fail(name + " is on the class path: the surefire/failsafe classpathDependencyExcludes in"
            + " overlay-store-etcd/pom.xml no longer remove jetcd's dependencies");
      } catch (ClassNotFoundException expected) {
        // as an application without jetcd-core has it
      }
    }
    assertFalse(Jetcd.isAvailable());
  }

  @Test
  void grpcWithoutJetcdIsAClearErrorNamingTheDependency() {
    EtcdOptions grpc = EtcdOptions.DEFAULT.withTransport(EtcdOptions.Transport.GRPC);
    StoreException e = assertThrows(StoreException.class, () -> EtcdStore.connect(grpc));
    String artifact = "io.etcd:jetcd-core:" + System.getProperty("overlaynet.jetcd.version");
    assertTrue(e.getMessage().contains("add the dependency " + artifact), e.getMessage());
    assertTrue(e.getMessage().contains("GRPC"), e.getMessage());
    // Asking again gives the same answer (no half-initialised class left behind).
    assertEquals(e.getMessage(), assertThrows(StoreException.class, () -> EtcdStore.connect(grpc)).getMessage());
  }

  @Test
  void theHttpTransportNeedsNoJetcd() throws Exception {
    try (FakeGateway gw = new FakeGateway((path, body, out) -> {
      FakeGateway.json(out, 200, "{\"header\":{\"revision\":\"5\"},\"count\":\"0\"}");
      return true;
    }); EtcdStore store = EtcdStore.connect(EtcdOptions.DEFAULT.withEndpoints(gw.endpoint())
        .withRequestTimeout(Duration.ofSeconds(2)))) {
      assertInstanceOf(GatewayStore.class, store);
      assertEquals(5, store.list("/coreos.com/network/subnets/").revision());
    }
  }
}
