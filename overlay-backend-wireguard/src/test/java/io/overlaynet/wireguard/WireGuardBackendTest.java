package io.overlaynet.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.Backend;
import io.overlaynet.BackendContext;
import io.overlaynet.BackendException;
import io.overlaynet.ExternalInterface;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.OverlayException;
import io.overlaynet.ip.Ip4;
import io.overlaynet.testing.StubSubnetManager;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration errors that come before anything is created: no lease, no key file, no device. */
class WireGuardBackendTest {

  @TempDir
  Path dir;

  static final ExternalInterface V4_ONLY_IFACE = ExternalInterface.ipv4("eth0", 2, 1500, Ip4.parse("192.0.2.11"));

  OverlayException register(Class<? extends OverlayException> type, String config, ExternalInterface ext) {
    StubSubnetManager sm = new StubSubnetManager(config, "10.5.1.0/24");
    OverlayException e = assertThrows(type, () -> WireGuardBackend.withKeyFile(dir.resolve("wgkey"))
        .register(new BackendContext(sm, sm.config, ext)));
    assertTrue(sm.acquired.isEmpty(), "no lease is taken");
    assertTrue(!dir.resolve("wgkey").toFile().exists(), "no key file is made");
    return e;
  }

  @Test
  void foundByType() {
    assertEquals("wireguard", Backend.byType("wireguard").orElseThrow().type());
  }

  @Test
  void aBadModeIsRefused() {
    OverlayException e = register(NetworkConfigException.class,
        "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"both\"}}", V4_ONLY_IFACE);
    assertTrue(e.getMessage().contains("no valid Mode configured: \"both\""), e.getMessage());
  }

  @Test
  void ipv4ModeWithoutIpv4IsRefused() {
    OverlayException e = register(NetworkConfigException.class, "{\"EnableIPv4\":false,\"EnableIPv6\":true,"
        + "\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"ipv4\"}}", V4_ONLY_IFACE);
    assertTrue(e.getMessage().contains("Mode ipv4"), e.getMessage());
  }

  @Test
  void anIpv6UnderlayWithoutAnIpv6AddressIsAClearError() {
    OverlayException e = register(BackendException.class,
        "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"ipv6\"}}", V4_ONLY_IFACE);
    assertEquals("wireguard: Mode ipv6 carries flannel-wg over IPv6, but the external interface eth0 has no IPv6 "
        + "address: give it one, pick an interface that has one (--iface), or set --public-ipv6", e.getMessage());
    e = register(BackendException.class, "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,"
        + "\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"wireguard\"}}", V4_ONLY_IFACE);
    assertTrue(e.getMessage().startsWith("wireguard: Mode separate carries flannel-wg-v6 over IPv6"), e.getMessage());
  }

  @Test
  void anMtuTooSmallForIpv6IsAClearError() {
    OverlayException e = register(BackendException.class, "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,"
        + "\"IPv6Network\":\"fd00:5::/56\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"ipv4\",\"MTU\":1300}}",
        V4_ONLY_IFACE);
    assertTrue(e.getMessage().contains("1220") && e.getMessage().contains("IPv6's minimum"), e.getMessage());
  }
}
