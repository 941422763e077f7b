package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ExternalInterface;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.agent.HostInterface;
import io.overlaynet.agent.HostNetwork;
import io.overlaynet.agent.InterfaceSelector;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
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
      assertEquals(List.of(Ip4.parse("192.0.2.11")), e0.addresses().stream().filter(a -> a instanceof Ip4).toList());
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
}
