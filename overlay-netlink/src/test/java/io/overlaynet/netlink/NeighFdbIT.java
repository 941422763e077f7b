package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.netlink.testing.Ip;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Neighbour and FDB entries made with {@code ip}/{@code bridge} read by the library, and errors. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class NeighFdbIT {

  @Test
  void readsEntriesMadeByIproute2(NetNs ns) throws Exception {
    String n = ns.name();
    Ip.run(n, "ip", "link", "add", "vx1", "type", "vxlan", "id", "1", "dstport", "8472", "nolearning");
    Ip.run(n, "ip", "link", "set", "vx1", "up");
    Ip.run(n, "ip", "neigh", "add", "10.250.2.2", "lladdr", "82:34:e5:45:4f:7b", "dev", "vx1", "nud", "permanent");
    Ip.run(n, "ip", "neigh", "add", "fd00::2", "lladdr", "82:34:e5:45:4f:7c", "dev", "vx1", "nud", "permanent");
    Ip.run(n, "bridge", "fdb", "add", "82:34:e5:45:4f:7b", "dst", "10.245.1.4", "self", "permanent", "dev", "vx1");
    Ip.run(n, "bridge", "fdb", "append", "00:00:00:00:00:00", "dst", "10.245.1.5", "self", "permanent", "dev", "vx1");
    Ip.run(n, "bridge", "fdb", "append", "00:00:00:00:00:00", "dst", "10.245.1.6", "self", "permanent", "dev", "vx1");
    try (NetlinkHandle h = NetlinkHandle.open()) {
      int vx = h.linkByName("vx1").index();
      List<Neighbor> neigh = h.neighList(vx, Family.ALL);
      assertTrue(neigh.contains(new Neighbor(vx, Ip4.parse("10.250.2.2"), MacAddress.parse("82:34:e5:45:4f:7b"),
          Neighbor.PERMANENT, 0, 1)), neigh.toString());
      assertTrue(neigh.stream().anyMatch(x -> x.ip().equals(Ip6.parse("fd00::2")) && x.isPermanent()));
      assertEquals(1, h.neighList(vx, Family.V4).size());

      List<FdbEntry> fdb = h.fdbList(vx);
      // The kernel reports vxlan FDB entries as PERMANENT|NOARP.
      assertTrue(fdb.stream().anyMatch(e -> e.linkIndex() == vx && e.mac().equals(MacAddress.parse("82:34:e5:45:4f:7b"))
          && Ip4.parse("10.245.1.4").equals(e.dst()) && e.isSelf() && e.isPermanent()), fdb.toString());
      assertEquals(2, fdb.stream().filter(e -> e.mac().equals(MacAddress.parse("00:00:00:00:00:00"))).count());

      // the library's append/del on the all-zero MAC, checked with bridge
      h.fdbAppend(FdbEntry.vxlanRemote(vx, MacAddress.parse("00:00:00:00:00:00"), Ip4.parse("10.245.1.7")));
      h.fdbDel(FdbEntry.vxlanRemote(vx, MacAddress.parse("00:00:00:00:00:00"), Ip4.parse("10.245.1.5")));
      String out = Ip.run(n, "bridge", "fdb", "show", "dev", "vx1");
      assertTrue(out.contains("dst 10.245.1.7") && out.contains("dst 10.245.1.6") && !out.contains("dst 10.245.1.5"), out);

      assertThrows(NetlinkExistsException.class, () -> h.neighAdd(
          Neighbor.permanent(vx, Ip4.parse("10.250.2.2"), MacAddress.parse("82:34:e5:45:4f:7b"))));
      h.neighSet(Neighbor.permanent(vx, Ip4.parse("10.250.2.2"), MacAddress.parse("82:34:e5:45:4f:7d")));
      assertTrue(Ip.run(n, "ip", "neigh", "show", "dev", "vx1").contains("82:34:e5:45:4f:7d"));
      h.neighDel(Neighbor.permanent(vx, Ip4.parse("10.250.2.2"), null));
      assertThrows(NetlinkNotFoundException.class,
          () -> h.neighDel(Neighbor.permanent(vx, Ip4.parse("10.250.2.2"), null)));
      assertThrows(NetlinkNotFoundException.class, () -> h.fdbDel(
          FdbEntry.vxlanRemote(vx, MacAddress.parse("02:02:02:02:02:02"), Ip4.parse("10.245.1.9"))));
    }
  }

  @Test
  void batchesProgramAndRemoveManyEntriesAndReportFailures(NetNs ns) throws Exception {
    String n = ns.name();
    Ip.run(n, "ip", "link", "add", "vx1", "type", "vxlan", "id", "1", "dstport", "8472", "nolearning");
    Ip.run(n, "ip", "link", "set", "vx1", "up");
    try (NetlinkHandle h = NetlinkHandle.open()) {
      int vx = h.linkByName("vx1").index();
      int count = 3000; // more than one pipelined chunk
      List<Neighbor> neigh = new ArrayList<>();
      List<FdbEntry> fdb = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        MacAddress mac = MacAddress.parse(String.format("02:42:00:00:%02x:%02x", i >> 8, i & 255));
        neigh.add(Neighbor.permanent(vx, Ip4.of(10, 250, i >> 8, i & 255), mac));
        fdb.add(FdbEntry.vxlanRemote(vx, mac, Ip4.of(192, 0, 2, 1 + i % 250)));
      }
      h.neighSetAll(neigh);
      h.fdbSetAll(fdb);
      h.neighSetAll(neigh); // replace semantics: idempotent
      assertEquals(count, h.neighList(vx, Family.V4).stream().filter(Neighbor::isPermanent).count());
      assertEquals(count, h.fdbList(vx).stream().filter(e -> e.dst() != null).count());
      String out = Ip.run(n, "bridge", "fdb", "show", "dev", "vx1");
      assertTrue(out.contains("02:42:00:00:0b:b7 dst 192.0.2.250 self permanent"), out);

      h.neighDelAll(neigh.subList(0, count / 2));
      h.fdbDelAll(fdb.subList(0, count / 2));
      assertEquals(count / 2, h.neighList(vx, Family.V4).size());
      // Already gone: every entry is still attempted, the first failure is thrown afterwards.
      NetlinkNotFoundException e = assertThrows(NetlinkNotFoundException.class, () -> h.neighDelAll(neigh));
      assertTrue(e.getMessage().contains("ip neigh del 10.250.0.0"), e.getMessage());
      assertThrows(NetlinkNotFoundException.class, () -> h.fdbDelAll(fdb));
      assertEquals(0, h.neighList(vx, Family.V4).size());
      assertEquals(0, h.fdbList(vx).stream().filter(x -> x.dst() != null).count());
    }
  }
}
