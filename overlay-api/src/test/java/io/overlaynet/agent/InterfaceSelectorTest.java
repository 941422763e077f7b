package io.overlaynet.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpAddress;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class InterfaceSelectorTest {

  static final HostNetwork HOST = new FakeHost(List.of(
      new HostInterface("lo", 1, 65536, true, List.of(Ip4.parse("127.0.0.1"))),
      new HostInterface("eth0", 2, 1500, true, List.of(Ip4.parse("192.0.2.11"))),
      new HostInterface("eth1", 3, 9000, true, List.of(Ip4.parse("198.51.100.7"), IpAddress.parse("fd00::7")))),
      Optional.of(2));

  static ExternalInterface select(AgentOptions o) {
    return InterfaceSelector.select(HOST, o);
  }

  @Test
  void defaultsToTheDefaultRouteInterface() {
    ExternalInterface e = select(AgentOptions.DEFAULT);
    assertEquals("eth0", e.name());
    assertEquals(2, e.index());
    assertEquals(1500, e.mtu());
    assertEquals(Ip4.parse("192.0.2.11"), e.ifaceAddr());
    assertEquals(Ip4.parse("192.0.2.11"), e.extAddr());
  }

  @Test
  void ifaceByNameOrAddressInOrder() {
    assertEquals("eth1", select(AgentOptions.DEFAULT.withInterfaces(List.of("eth1"))).name());
    assertEquals("eth1", select(AgentOptions.DEFAULT.withInterfaces(List.of("198.51.100.7"))).name());
    assertEquals("eth0", select(AgentOptions.DEFAULT.withInterfaces(List.of("nosuch", "192.0.2.11", "eth1"))).name());
  }

  @Test
  void regexMatchesAddressesBeforeNames() {
    assertEquals("eth1", select(AgentOptions.DEFAULT.withInterfaceRegexes(List.of(Pattern.compile("198\\..*")))).name());
    assertEquals("eth0", select(AgentOptions.DEFAULT.withInterfaceRegexes(List.of(Pattern.compile("eth[0-9]")))).name());
  }

  @Test
  void canReachUsesTheRouteToTheAddress() {
    ExternalInterface e = select(AgentOptions.DEFAULT.withInterfaceCanReach(Ip4.parse("198.51.100.1")));
    assertEquals("eth1", e.name());
  }

  @Test
  void publicIpOverridesTheAdvertisedAddressAndFindsItsInterface() {
    ExternalInterface natted = select(AgentOptions.DEFAULT.withInterfaces(List.of("eth0"))
        .withPublicIp(Ip4.parse("203.0.113.5")));
    assertEquals(Ip4.parse("192.0.2.11"), natted.ifaceAddr());
    assertEquals(Ip4.parse("203.0.113.5"), natted.extAddr());
    assertEquals("eth1", select(AgentOptions.DEFAULT.withPublicIp(Ip4.parse("198.51.100.7"))).name());
  }

  @Test
  void failuresSayWhatWasTried() {
    AgentException e = assertThrows(AgentException.class,
        () -> select(AgentOptions.DEFAULT.withInterfaces(List.of("wlan9", "10.9.9.9"))));
    assertTrue(e.getMessage().contains("[wlan9, 10.9.9.9]"), e.getMessage());
    AgentException nat = assertThrows(AgentException.class,
        () -> select(AgentOptions.DEFAULT.withPublicIp(Ip4.parse("203.0.113.5"))));
    assertTrue(nat.getMessage().contains("--iface"), nat.getMessage());
    HostNetwork noDefault = new FakeHost(List.of(), Optional.empty());
    assertTrue(assertThrows(AgentException.class, () -> InterfaceSelector.select(noDefault, AgentOptions.DEFAULT))
        .getMessage().contains("no IPv4 default route"));
  }

  record FakeHost(List<HostInterface> interfaces, Optional<Integer> defaultRouteInterface) implements HostNetwork {
    @Override
    public Optional<Integer> routeInterfaceTo(IpAddress destination) {
      return destination.toString().startsWith("198.51.100.") ? Optional.of(3) : defaultRouteInterface;
    }
  }
}
