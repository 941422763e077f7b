package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.netlink.testing.Ip;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Links made with {@code ip} read by the library, link setters checked with {@code ip}, and typed errors. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class LinkIT {

  @Test
  void readsVxlanMadeByIproute2(NetNs ns) throws Exception {
    Ip.run(ns.name(), "ip", "link", "add", "u0", "type", "veth", "peer", "name", "u1");
    Ip.run(ns.name(), "ip", "link", "add", "vx7", "mtu", "1400", "address", "02:11:22:33:44:55", "type", "vxlan",
        "id", "7", "local", "192.0.2.1", "dev", "u0", "dstport", "8472", "nolearning", "gbp", "ttl", "9",
        "ageing", "120");
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link link = h.linkByName("vx7");
      assertEquals(1400, link.attrs().mtu());
      assertEquals(MacAddress.parse("02:11:22:33:44:55"), link.attrs().hardwareAddr());
      VxlanInfo vx = assertInstanceOf(VxlanInfo.class, link.info());
      assertEquals(7, vx.vni());
      assertEquals(Ip4.parse("192.0.2.1"), vx.local());
      assertEquals(h.linkByName("u0").index(), vx.vtepDevIndex());
      assertEquals(8472, vx.port());
      assertFalse(vx.learning());
      assertTrue(vx.gbp());
      assertEquals(9, vx.ttl());
      assertEquals(120, vx.ageing());
      assertEquals(link, h.linkByIndex(link.index()));

      Link u0 = h.linkByName("u0");
      assertInstanceOf(VethInfo.class, u0.info());
      assertEquals(h.linkByName("u1").index(), u0.attrs().parentIndex());
      assertEquals(GenericLinkInfo.NONE, h.linkByName("lo").info());
      assertTrue(h.linkList().stream().map(Link::name).toList().containsAll(java.util.List.of("lo", "u0", "u1", "vx7")));
    }
  }

  @Test
  void settersAreVisibleToIproute2(NetNs ns) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link br = h.linkAdd(Link.of(LinkAttrs.builder("br9").withUp(true).build(), BridgeInfo.DEFAULT));
      assertTrue(br.isUp());
      Link a = h.linkAdd(Link.of("a0", VethInfo.peer("a1")));
      h.linkSetMtu(a.index(), 1280);
      h.linkSetHardwareAddr(a.index(), MacAddress.parse("02:00:00:00:00:a0"));
      h.linkSetMaster(a.index(), br.index());
      h.linkSetUp(a.index());
      JsonObject j = Ip.one(ns.name(), "ip", "-j", "link", "show", "dev", "a0");
      assertEquals(1280, j.get("mtu").getAsInt());
      assertEquals("02:00:00:00:00:a0", j.get("address").getAsString());
      assertEquals("br9", j.get("master").getAsString());
      assertTrue(VxlanScriptIT.flags(j).contains("UP"));

      h.linkSetMaster(a.index(), 0);
      h.linkSetDown(a.index());
      h.linkSetName(a.index(), "a0new");
      j = Ip.one(ns.name(), "ip", "-j", "link", "show", "dev", "a0new");
      assertFalse(j.has("master"));
      assertFalse(VxlanScriptIT.flags(j).contains("UP"));

      h.linkDel(a.index());
      assertThrows(NetlinkNotFoundException.class, () -> h.linkByName("a0new"));
      assertThrows(NetlinkNotFoundException.class, () -> h.linkByName("a1"), "deleting one end removes the pair");
    }
  }

  @Test
  void errorsAreTypedAndCarryTheKernelsText(NetNs ns) throws Exception {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      h.linkAdd(Link.of("b0", BridgeInfo.DEFAULT));
      NetlinkExistsException exists = assertThrows(NetlinkExistsException.class,
          () -> h.linkAdd(Link.of("b0", BridgeInfo.DEFAULT)));
      assertEquals(17, exists.errno());
      assertTrue(exists.operation().contains("ip link add b0"), exists.operation());

      NetlinkNotFoundException missing = assertThrows(NetlinkNotFoundException.class, () -> h.linkByName("nope0"));
      assertEquals(19, missing.errno());
      assertThrows(NetlinkNotFoundException.class, () -> h.linkDel(99999));

      // Two vxlan devices with the same VNI and port: the kernel explains itself in an extended ack.
      h.linkAdd(Link.of("vxa", VxlanInfo.builder(5).withPort(4789).build()));
      NetlinkException dup = assertThrows(NetlinkException.class,
          () -> h.linkAdd(Link.of("vxb", VxlanInfo.builder(5).withPort(4789).build())));
      assertEquals(17, dup.errno());
      assertNotNull(dup.extAck(), "extended ack text expected");
      assertTrue(dup.getMessage().contains(dup.extAck()), dup.getMessage());
    }
  }

  @Test
  void capabilityProbesPassHere(NetNs ns) {
    assertTrue(Netlink.isAvailable(), String.valueOf(Netlink.unavailabilityCause()));
    assertTrue(Netlink.vxlan().isAvailable(), String.valueOf(Netlink.vxlan().unavailabilityCause()));
    assertTrue(Netlink.tun().isAvailable(), String.valueOf(Netlink.tun().unavailabilityCause()));
    Netlink.vxlan().ensureAvailability();
  }

  @Test
  void vethPeerInAnotherNamespace(NetNs ns) throws Exception {
    try (NetNs other = NetNs.createUnnamed(); NetlinkHandle h = NetlinkHandle.open();
        NetlinkHandle o = NetlinkHandle.openIn(other)) {
      Link here = h.linkAdd(Link.of(LinkAttrs.builder("p0").withMtu(1450).build(),
          VethInfo.peer("p1").withPeerMtu(1400).withPeerHardwareAddr(MacAddress.parse("02:00:00:00:00:01"))
              .withPeerNamespace(other)));
      assertEquals(1450, here.attrs().mtu());
      assertThrows(NetlinkNotFoundException.class, () -> h.linkByName("p1"));
      Link there = o.linkByName("p1");
      assertEquals(1400, there.attrs().mtu());
      assertEquals(MacAddress.parse("02:00:00:00:00:01"), there.attrs().hardwareAddr());
    }
  }
}
