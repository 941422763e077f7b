package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.BackendException;
import io.overlaynet.LeaseException;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.OverlayException;
import io.overlaynet.agent.AgentException;
import io.overlaynet.store.StoreException;
import io.overlaynet.traffic.TrafficException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One exception family per module boundary (docs/design-notes.md): the API modules throw
 * unchecked {@link OverlayException}s, and the backend SPI declares no checked exception.
 */
class ExceptionFamilyTest {

  @Test
  void everyApiExceptionIsAnOverlayException() {
    for (Class<?> c : List.of(StoreException.class, NetworkConfigException.class, LeaseException.class,
        AgentException.class, TrafficException.class, BackendException.class)) {
      assertTrue(OverlayException.class.isAssignableFrom(c), c.getName());
      assertTrue(RuntimeException.class.isAssignableFrom(c), c.getName() + " must be unchecked");
    }
  }

  @Test
  void theBackendSpiThrowsNoCheckedException() throws Exception {
    assertArrayEquals(new Class<?>[0], Backend.class.getMethod("register", BackendContext.class).getExceptionTypes());
  }
}
