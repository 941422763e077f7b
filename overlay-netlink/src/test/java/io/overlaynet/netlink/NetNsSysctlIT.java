package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.netlink.testing.FreshNetNsExtension;
import io.overlaynet.netlink.testing.Ip;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Named and unnamed namespaces, running code inside them, and per-namespace sysctl. */
@Tag("privileged")
@ExtendWith(FreshNetNsExtension.class)
class NetNsSysctlIT {

  private static String nsInode(String path) throws Exception {
    return Files.readSymbolicLink(Path.of(path)).toString();
  }

  @Test
  void createRunOpenDelete(NetNs testNs) throws Exception {
    String name = testNs.name() + "-x";
    NetNs ns = NetNs.create(name);
    try {
      assertTrue(NetNs.exists(name));
      assertTrue(NetNs.list().contains(name));
      assertTrue(Ip.run(null, "ip", "netns", "list").contains(name), "iproute2 sees it");
      assertThrows(NetlinkExistsException.class, () -> NetNs.create(name));

      String inside = ns.run(() -> nsInode("/proc/thread-self/ns/net"));
      String here = nsInode("/proc/thread-self/ns/net");
      assertNotEquals(here, inside);
      try (NetNs again = NetNs.open(name)) {
        assertEquals(inside, again.run(() -> nsInode("/proc/thread-self/ns/net")));
        assertEquals(name, again.name());
      }
      try (NetNs cur = NetNs.current()) {
        assertEquals(here, cur.run(() -> nsInode("/proc/thread-self/ns/net")));
      }
      // a handle opened in the namespace works from this (outside) thread
      try (NetlinkHandle h = NetlinkHandle.openIn(ns)) {
        h.linkAdd(Link.of("inside0", BridgeInfo.DEFAULT));
        assertTrue(Ip.run(name, "ip", "link", "show").contains("inside0"));
        assertFalse(Ip.run(testNs.name(), "ip", "link", "show").contains("inside0"));
      }
      IllegalStateException boom = assertThrows(IllegalStateException.class, () -> ns.run(() -> {
        throw new IllegalStateException("from inside");
      }));
      assertEquals("from inside", boom.getMessage());
    } finally {
      ns.delete();
    }
    assertFalse(NetNs.exists(name));
    assertThrows(NetlinkNotFoundException.class, () -> NetNs.open(name));
    assertThrows(NetlinkNotFoundException.class, () -> NetNs.delete(name));
  }

  @Test
  void startThreadRunsInside(NetNs testNs) throws Exception {
    try (NetNs ns = NetNs.createUnnamed()) {
      String expected = ns.run(() -> nsInode("/proc/thread-self/ns/net"));
      String[] seen = new String[1];
      Thread t = ns.startThread("agent", () -> {
        try {
          seen[0] = nsInode("/proc/thread-self/ns/net");
        } catch (Exception e) {
          seen[0] = e.toString();
        }
      });
      t.join(5000);
      assertEquals(expected, seen[0]);
    }
  }

  @Test
  void sysctlIsPerNamespace(NetNs testNs) throws Exception {
    try (NetNs other = NetNs.createUnnamed()) {
      Sysctl mine = Sysctl.current();
      Sysctl theirs = Sysctl.in(other);
      mine.setIpForward(true);
      theirs.set("net.ipv4.ip_forward", "0");
      assertEquals("1", mine.get("net.ipv4.ip_forward"));
      assertEquals("0", theirs.get("net/ipv4/ip_forward"));
      assertEquals("1", Ip.exec(java.util.List.of("ip", "netns", "exec", testNs.name(), "cat",
          "/proc/sys/net/ipv4/ip_forward")).trim());

      try (NetlinkHandle h = NetlinkHandle.open()) {
        h.linkAdd(Link.of("flannel.1", VxlanInfo.builder(1).withLearning(false).build()));
        // flannel: net/ipv6/conf/flannel.1/accept_ra=0; the device name has a dot, so use '/'
        h.sysctl().set("net/ipv6/conf/flannel.1/accept_ra", "0");
        assertEquals("0", mine.get("net/ipv6/conf/flannel.1/accept_ra"));
      }
      assertThrows(java.io.IOException.class, () -> mine.get("net.ipv4.no_such_key"));
    }
  }
}
