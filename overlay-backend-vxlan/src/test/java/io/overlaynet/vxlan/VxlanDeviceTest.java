package io.overlaynet.vxlan;

import io.overlaynet.netlink.testing.FakeNetlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.BridgeInfo;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.LinkAttrs;
import io.overlaynet.netlink.VxlanInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class VxlanDeviceTest {

  private static final MacAddress MAC = MacAddress.parse("d2:65:d5:8b:00:6f");
  private static final VxlanDevice.Spec SPEC =
      new VxlanDevice.Spec("flannel.1", 1, 2, Ip4.parse("192.0.2.11"), 0, false, false, 1450, MAC);

  private static Link existing(VxlanInfo info) {
    return Link.of(LinkAttrs.builder("flannel.1").withIndex(9).build(), info);
  }

  private static VxlanInfo.Builder compatible() {
    return VxlanInfo.builder(1).withVtepDevIndex(2).withLocal(Ip4.parse("192.0.2.11")).withPort(8472)
        .withLearning(false);
  }

  @Test
  void compatibleDeviceIsReused() {
    assertNull(VxlanDevice.incompatibility(SPEC, existing(compatible().build())));
    assertNull(VxlanDevice.incompatibility(SPEC, existing(compatible().withPort(0).build())), "0 means 8472");
  }

  @Test
  void everyComparedFieldMakesItIncompatible() {
    assertTrue(VxlanDevice.incompatibility(SPEC, Link.of("flannel.1", BridgeInfo.DEFAULT)).contains("type"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(VxlanInfo.builder(2).withVtepDevIndex(2)
        .withLocal(Ip4.parse("192.0.2.11")).withLearning(false).build())).contains("VxlanId"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(compatible().withVtepDevIndex(3).build()))
        .contains("VtepDevIndex"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(compatible().withLocal(Ip4.parse("192.0.2.99")).build()))
        .contains("SrcAddr"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(compatible().withPort(4789).build())).contains("Port"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(compatible().withGbp(true).build())).contains("GBP"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(compatible().withLearning(true).build()))
        .contains("Learning"));
    assertTrue(VxlanDevice.incompatibility(SPEC, existing(compatible().withGroup(Ip4.parse("239.1.1.1")).build()))
        .contains("Group"));
  }

  @Test
  void createsWithFlannelsAttributes() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    Link dev = VxlanDevice.ensure(nl, SPEC);
    VxlanInfo vx = (VxlanInfo) dev.info();
    assertEquals(1, vx.vni());
    assertEquals(2, vx.vtepDevIndex());
    assertEquals(Ip4.parse("192.0.2.11"), vx.local());
    assertEquals(8472, vx.port());
    assertEquals(false, vx.learning());
    assertEquals(1450, dev.attrs().mtu());
    assertEquals(MAC, dev.attrs().hardwareAddr());
  }

  @Test
  void reusesCompatibleAndKeepsItsMac() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    Link first = VxlanDevice.ensure(nl, SPEC);
    Link again = VxlanDevice.ensure(nl, SPEC.withMac(MacAddress.parse("02:11:22:33:44:55")));
    assertEquals(first.index(), again.index());
    assertEquals(MAC, again.attrs().hardwareAddr());
  }

  @Test
  void recreatesIncompatibleKeepingTheMac() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    Link old = nl.linkAdd(Link.of(LinkAttrs.builder("flannel.1").withHardwareAddr(MAC).build(),
        compatible().withPort(4789).build()));
    Link dev = VxlanDevice.ensure(nl, SPEC.withMac(MacAddress.parse("02:11:22:33:44:55")));
    assertNotEquals(old.index(), dev.index());
    assertEquals(8472, ((VxlanInfo) dev.info()).port());
    assertEquals(MAC, dev.attrs().hardwareAddr(), "peers' ARP/FDB entries keep pointing at the right MAC");
  }

  @Test
  void configureAddsSlash32AndRemovesOldAddressesOfTheNetwork() throws Exception {
    FakeNetlink nl = new FakeNetlink().withUnderlay(Ip4.parse("192.0.2.11"));
    Link dev = VxlanDevice.ensure(nl, SPEC);
    nl.addrAdd(Address.of(dev.index(), Ip4.parse("10.5.7.0"), 32));     // an old lease's address
    nl.addrAdd(Address.of(dev.index(), Ip4.parse("172.16.0.1"), 32));   // not ours: stays
    Link up = VxlanDevice.configure(nl, dev, Ip4.parse("10.5.96.0"), Ip4Net.parse("10.5.0.0/16"), 1450, MAC);
    assertTrue(up.isUp());
    List<String> cidrs = nl.addrList(dev.index(), Family.V4).stream().map(Address::cidr).sorted().toList();
    assertEquals(List.of("10.5.96.0/32", "172.16.0.1/32"), cidrs);
  }
}
