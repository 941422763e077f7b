package io.overlaynet.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.NetworkConfig;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class InterfaceSelectorTest {

  static final HostNetwork HOST = new FakeHost(List.of(
      HostInterface.of("lo", 1, 65536, true, List.of(Ip4.parse("127.0.0.1"))),
      HostInterface.of("eth0", 2, 1500, true, List.of(Ip4.parse("192.0.2.11"))),
      HostInterface.of("eth1", 3, 9000, true, List.of(Ip4.parse("198.51.100.7"), IpAddress.parse("fd00::7")))),
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

  // ------------------------------------------------------------------ IPv6 (issue 14)

  static final NetworkConfig DUAL = NetworkConfig.parse(
      "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");
  static final NetworkConfig V6_ONLY = NetworkConfig.parse(
      "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");

  static HostAddress v6(String ip, boolean global, boolean permanent, boolean temporary, boolean deprecated) {
    return new HostAddress(Ip6.parse(ip), global, permanent, temporary, deprecated);
  }

  /** eth0 lists its IPv6 addresses worst first, as a SLAAC host may. */
  static final HostNetwork HOST6 = new FakeHost(List.of(
      HostInterface.of("lo", 1, 65536, true, List.of(Ip4.parse("127.0.0.1"), Ip6.parse("::1"))),
      new HostInterface("eth0", 2, 1500, true, List.of(
          HostAddress.of(Ip4.parse("192.0.2.11")),
          v6("fe80::11", false, true, false, false),
          v6("2001:db8::a11", true, false, true, false),    // temporary (privacy)
          v6("2001:db8::b11", true, true, false, true),     // deprecated
          v6("2001:db8::c11", true, false, false, false),   // dynamic (SLAAC)
          v6("2001:db8::11", true, true, false, false))),   // global, permanent: the one
      HostInterface.of("eth1", 3, 9000, true, List.of(Ip4.parse("198.51.100.7"))),
      new HostInterface("eth2", 4, 1500, true, List.of(v6("2001:db8:2::12", true, true, false, false)))),
      Optional.of(2), Optional.of(4));

  @Test
  void dualStackTakesTheInterfacesBestIpv6Address() {
    ExternalInterface e = InterfaceSelector.select(HOST6, AgentOptions.DEFAULT, DUAL);
    assertEquals("eth0", e.name());
    assertEquals(Ip4.parse("192.0.2.11"), e.extAddr());
    assertEquals(Optional.of(Ip6.parse("2001:db8::11")), e.ifaceV6Addr());
    assertEquals(Optional.of(Ip6.parse("2001:db8::11")), e.extV6Addr());
  }

  @Test
  void bestIpv6PrefersGlobalThenPermanentAndNeverTemporaryOrDeprecated() {
    HostInterface slaac = new HostInterface("eth0", 2, 1500, true, List.of(
        v6("fe80::1", false, true, false, false), v6("2001:db8::a", true, false, true, false),
        v6("2001:db8::c", true, false, false, false)));
    assertEquals(Optional.of(Ip6.parse("2001:db8::c")), InterfaceSelector.bestIpv6(slaac));
    HostInterface linkLocalOnly = new HostInterface("eth0", 2, 1500, true, List.of(
        v6("2001:db8::b", true, true, false, true), v6("fe80::1", false, true, false, false)));
    assertEquals(Optional.of(Ip6.parse("fe80::1")), InterfaceSelector.bestIpv6(linkLocalOnly));
  }

  @Test
  void anInterfaceGivenByItsIpv4AddressStillYieldsItsIpv6Address() {
    // flanneld: "Defaulting external v6 address to interface address (<nil>)", then "Link not found" (B10).
    ExternalInterface e = InterfaceSelector.select(HOST6, AgentOptions.DEFAULT.withInterfaces(List.of("192.0.2.11")), DUAL);
    assertEquals(Optional.of(Ip6.parse("2001:db8::11")), e.extV6Addr());
  }

  @Test
  void anIpv6AddressOrCanReachFindsItsInterface() {
    ExternalInterface byAddr = InterfaceSelector.select(HOST6,
        AgentOptions.DEFAULT.withInterfaces(List.of("2001:db8:2::12")), V6_ONLY);
    assertEquals("eth2", byAddr.name());
    assertEquals(Optional.of(Ip6.parse("2001:db8:2::12")), byAddr.ifaceV6Addr());
    ExternalInterface reach = InterfaceSelector.select(HOST6,
        AgentOptions.DEFAULT.withInterfaceCanReach(Ip6.parse("2001:db8:2::1")), V6_ONLY);
    assertEquals("eth2", reach.name());
  }

  @Test
  void ipv6OnlyUsesTheIpv6DefaultRouteAndPublishesNoIpv4() {
    ExternalInterface e = InterfaceSelector.select(HOST6, AgentOptions.DEFAULT, V6_ONLY);
    assertEquals("eth2", e.name());
    assertEquals(Ip4.ANY, e.ifaceAddr());
    assertEquals(Ip4.ANY, e.extAddr());
    assertEquals(Optional.of(Ip6.parse("2001:db8:2::12")), e.extV6Addr());
  }

  @Test
  void publicIpv6OverridesTheAdvertisedIpv6Address() {
    ExternalInterface e = InterfaceSelector.select(HOST6,
        AgentOptions.DEFAULT.withPublicIpv6(Ip6.parse("2001:db8:ffff::11")), DUAL);
    assertEquals(Optional.of(Ip6.parse("2001:db8::11")), e.ifaceV6Addr());
    assertEquals(Optional.of(Ip6.parse("2001:db8:ffff::11")), e.extV6Addr());
  }

  @Test
  void dualStackOnAnInterfaceWithoutIpv6NamesItAndTheFlags() {
    AgentException e = assertThrows(AgentException.class,
        () -> InterfaceSelector.select(HOST6, AgentOptions.DEFAULT.withInterfaces(List.of("eth1")), DUAL));
    assertTrue(e.getMessage().contains("eth1 has no usable IPv6 address"), e.getMessage());
    // --public-ipv6 does not make an interface without IPv6 usable: the next one is taken
    assertEquals("eth0", InterfaceSelector.select(HOST6, AgentOptions.DEFAULT.withInterfaces(List.of("eth1", "eth0"))
        .withPublicIpv6(Ip6.parse("2001:db8:ffff::11")), DUAL).name());
    // --public-ipv6 naming one of the interface's own addresses makes it the local one too
    assertEquals(Optional.of(Ip6.parse("2001:db8::c11")), InterfaceSelector.select(HOST6,
        AgentOptions.DEFAULT.withPublicIpv6(Ip6.parse("2001:db8::c11")), DUAL).ifaceV6Addr());
    assertTrue(e.getMessage().contains("--public-ipv6"), e.getMessage());
    assertTrue(e.getMessage().contains("--iface"), e.getMessage());
    // the next --iface that has both families is taken, as flanneld tries each in turn
    assertEquals("eth0", InterfaceSelector.select(HOST6,
        AgentOptions.DEFAULT.withInterfaces(List.of("eth1", "eth0")), DUAL).name());
  }

  record FakeHost(List<HostInterface> interfaces, Optional<Integer> defaultRouteInterface,
      Optional<Integer> defaultIpv6RouteInterface) implements HostNetwork {
    FakeHost(List<HostInterface> interfaces, Optional<Integer> defaultRouteInterface) {
      this(interfaces, defaultRouteInterface, Optional.empty());
    }

    @Override
    public Optional<Integer> routeInterfaceTo(IpAddress destination) {
      if (destination.toString().startsWith("2001:db8:2:")) {
        return Optional.of(4);
      }
      return destination.toString().startsWith("198.51.100.") ? Optional.of(3) : defaultRouteInterface;
    }
  }
}
