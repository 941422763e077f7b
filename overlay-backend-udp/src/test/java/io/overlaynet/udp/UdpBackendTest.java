package io.overlaynet.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import org.junit.jupiter.api.Test;

/** Service registration and options. */
class UdpBackendTest {

  @Test
  void foundByType() {
    Backend b = Backend.byType("udp").orElseThrow();
    assertTrue(b instanceof UdpBackend);
    assertEquals("udp", b.type());
    assertEquals(UdpOptions.DEFAULT, ((UdpBackend) b).options());
  }

  @Test
  void optionsValidate() {
    UdpOptions o = UdpOptions.DEFAULT.withQueues(2).withBatchSize(1).withSocketBufferBytes(1 << 20);
    assertEquals(2, o.queues());
    assertEquals(1, o.batchSize());
    assertEquals(1 << 20, o.socketBufferBytes());
    assertEquals(1, UdpOptions.DEFAULT.queues());
    assertThrows(IllegalArgumentException.class, () -> UdpOptions.DEFAULT.withQueues(0));
    assertThrows(IllegalArgumentException.class, () -> UdpOptions.DEFAULT.withBatchSize(0));
    assertThrows(IllegalArgumentException.class, () -> UdpOptions.DEFAULT.withSocketBufferBytes(10));
  }
}
