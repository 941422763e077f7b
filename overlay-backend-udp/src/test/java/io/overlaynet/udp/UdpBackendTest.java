package io.overlaynet.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.ExternalInterface;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.ip.Ip4;
import io.overlaynet.testing.StubSubnetManager;
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

  /** flannel's udp backend is IPv4 only: IPv6-only is refused before anything is created (issue 14). */
  @Test
  void ipv6OnlyIsAClearErrorNamingTheBackendsThatCarryIpv6() {
    StubSubnetManager sm = new StubSubnetManager(
        "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"udp\"}}",
        "10.5.1.0/24");
    NetworkConfigException e = assertThrows(NetworkConfigException.class, () -> UdpBackend.create().register(
        new BackendContext(sm, sm.config, ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11")))));
    assertTrue(e.getMessage().contains("IPv4 only") && e.getMessage().contains("vxlan, host-gw or wireguard"), e.getMessage());
    assertTrue(sm.acquired.isEmpty(), "no lease is taken");
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
