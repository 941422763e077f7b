package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.NetworkConfig;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.agent.HostAddress;
import io.overlaynet.agent.HostInterface;
import io.overlaynet.agent.HostNetwork;
import io.overlaynet.agent.InterfaceSelector;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The agent's interface choice, read through netlink in a namespace, as flanneld makes it. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class NetlinkHostNetworkIT {

  @Test
  void isTheServiceLoadedHostNetworkAndSeesThisNamespace(NetNs ns) throws Exception {
    assertTrue(HostNetwork.system() instanceof NetlinkHostNetwork);
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link eth0 = h.linkAdd(Link.of(LinkAttrs.builder("eth0").withMtu(1400).build(), VethInfo.peer("eth0p")));
      Link eth1 = h.linkAdd(Link.of("eth1", VethInfo.peer("eth1p")));
      for (String n : List.of("eth0", "eth0p", "eth1", "eth1p")) {
        h.linkSetUp(h.linkByName(n).index());
      }
      h.addrAdd(Address.of(eth0.index(), "192.0.2.11/24"));
      h.addrAdd(Address.of(eth1.index(), "198.51.100.7/24"));
      h.routeAdd(Route.builder(Ip4Net.parse("0.0.0.0/0")).withGateway(Ip4.parse("192.0.2.1"))
          .withLinkIndex(eth0.index()).build());

      HostNetwork host = HostNetwork.system();
      HostInterface e0 = host.interfaces().stream().filter(i -> i.name().equals("eth0")).findFirst().orElseThrow();
      assertEquals(1400, e0.mtu());
      assertTrue(e0.up());
      assertEquals(List.of(Ip4.parse("192.0.2.11")), e0.ips().stream().filter(a -> a instanceof Ip4).toList());
      assertEquals(Optional.of(eth0.index()), host.defaultRouteInterface());
      assertEquals(Optional.of(eth1.index()), host.routeInterfaceTo(Ip4.parse("198.51.100.99")));

      ExternalInterface byDefault = InterfaceSelector.select(host, AgentOptions.DEFAULT);
      assertEquals("eth0", byDefault.name());
      assertEquals(1400, byDefault.mtu());
      ExternalInterface byReach = InterfaceSelector.select(host,
          AgentOptions.DEFAULT.withInterfaceCanReach(Ip4.parse("198.51.100.99")));
      assertEquals("eth1", byReach.name());
      assertEquals(Ip4.parse("198.51.100.7"), byReach.ifaceAddr());
    }
  }

  /** Issue 14: the IPv6 address as flannel picks it, read from the kernel's address flags. */
  @Test
  void picksAUsableGlobalIpv6AddressAndTheIpv6DefaultRoute(NetNs ns) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link eth0 = h.linkAdd(Link.of("eth0", VethInfo.peer("eth0p")));
      Link eth1 = h.linkAdd(Link.of("eth1", VethInfo.peer("eth1p")));
      for (String n : List.of("eth0", "eth0p", "eth1", "eth1p")) {
        h.linkSetUp(h.linkByName(n).index());
      }
      h.addrAdd(Address.of(eth0.index(), "192.0.2.11/24"));
      // A deprecated address first (preferred lifetime 0), then the permanent one that must win.
      run("ip", "-6", "addr", "add", "2001:db8::99/64", "dev", "eth0", "preferred_lft", "0", "nodad");
      h.addrAdd(Address.of(eth0.index(), "2001:db8::11/64").withFlags(Address.NODAD));
      h.addrAdd(Address.of(eth1.index(), "2001:db8:1::12/64").withFlags(Address.NODAD));
      h.routeAdd(Route.builder(Ip4Net.parse("0.0.0.0/0")).withGateway(Ip4.parse("192.0.2.1"))
          .withLinkIndex(eth0.index()).build());
      h.routeAdd(Route.builder(Ip6Net.parse("::/0")).withGateway(Ip6.parse("2001:db8:1::1"))
          .withLinkIndex(eth1.index()).build());

      HostNetwork host = HostNetwork.system();
      HostInterface e0 = host.interfaces().stream().filter(i -> i.name().equals("eth0")).findFirst().orElseThrow();
      HostAddress deprecated = e0.addresses().stream().filter(a -> a.ip().equals(Ip6.parse("2001:db8::99")))
          .findFirst().orElseThrow();
      assertTrue(deprecated.deprecated() && deprecated.global(), deprecated.toString());
      assertEquals(Optional.of(eth1.index()), host.defaultIpv6RouteInterface());

      NetworkConfig dual = NetworkConfig.parse(
          "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");
      ExternalInterface e = InterfaceSelector.select(host, AgentOptions.DEFAULT, dual);
      assertEquals("eth0", e.name());
      assertEquals(Optional.of(Ip6.parse("2001:db8::11")), e.extV6Addr());
      NetworkConfig v6only = NetworkConfig.parse(
          "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/56\"}");
      ExternalInterface only = InterfaceSelector.select(host, AgentOptions.DEFAULT, v6only);
      assertEquals("eth1", only.name());
      assertEquals(Optional.of(Ip6.parse("2001:db8:1::12")), only.extV6Addr());
    }
  }

  /** Runs a command in this thread's namespace (a child inherits the forking thread's). */
  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
  }
}
