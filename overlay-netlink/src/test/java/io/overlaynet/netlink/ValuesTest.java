package io.overlaynet.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpNet;
import io.overlaynet.netlink.internal.NativeErrors;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Value types, defaults and the errno mapping, without privileges. */
class ValuesTest {

  @Test
  void routeScopeDefaultsFollowIproute2() {
    assertEquals(Scope.LINK, Route.builder(IpNet.parse("10.5.0.0/16")).withLinkIndex(3).build().scope());
    assertEquals(Scope.UNIVERSE, Route.builder(IpNet.parse("10.5.0.0/16")).withGateway(Ip4.parse("192.0.2.1"))
        .build().scope());
    assertEquals(Scope.UNIVERSE, Route.builder(IpNet.parse("10.5.0.0/16")).withType(RouteType.BLACKHOLE).build().scope());
    assertEquals(Scope.HOST, Route.builder(IpNet.parse("10.5.0.1/32")).withType(RouteType.LOCAL).build().scope());
    Route r = Route.builder(IpNet.parse("0.0.0.0/0")).withGateway(Ip4.parse("192.0.2.1")).build();
    assertTrue(r.isDefault());
    assertEquals(Route.TABLE_MAIN, r.table());
    assertEquals(Route.PROTO_BOOT, r.protocol());
    assertThrows(IllegalArgumentException.class,
        () -> Route.builder(IpNet.parse("10.5.0.0/16")).withGateway(io.overlaynet.ip.Ip6.parse("fd00::1")).build());
  }

  @Test
  void addressKeepsHostBits() {
    Address a = Address.of(3, "10.5.7.1/24");
    assertEquals(Ip4.parse("10.5.7.1"), a.ip());
    assertEquals(IpNet.parse("10.5.7.0/24"), a.network());
    assertEquals("10.5.7.1/24", a.cidr());
    assertThrows(IllegalArgumentException.class, () -> Address.of(3, "10.5.7.1"));
    assertThrows(IllegalArgumentException.class, () -> Address.of(3, "10.5.7.1/33"));
  }

  @Test
  void linkNamesAreValidated() {
    assertEquals("flannel.1", LinkAttrs.named("flannel.1").name());
    assertThrows(IllegalArgumentException.class, () -> LinkAttrs.named("a-very-long-name0"));
    assertThrows(IllegalArgumentException.class, () -> LinkAttrs.named("a/b"));
    assertThrows(IllegalArgumentException.class, () -> LinkAttrs.named(""));
    assertThrows(IllegalArgumentException.class, () -> VxlanInfo.builder(1 << 24).build());
    assertTrue(VxlanInfo.builder(1).build().learning(), "learning defaults on, as in iproute2");
    assertTrue(LinkAttrs.builder("x").withUp(true).build().isUp());
  }

  @Test
  void errnoMapsToTypedExceptionsInOnePlace() {
    assertInstanceOf(NetlinkExistsException.class, NativeErrors.newException("op", 17, null));
    assertInstanceOf(NetlinkNotFoundException.class, NativeErrors.newException("op", 2, null));
    assertInstanceOf(NetlinkNotFoundException.class, NativeErrors.newException("op", -3, null));
    assertInstanceOf(NetlinkNotFoundException.class, NativeErrors.newException("op", 19, null));
    assertInstanceOf(NetlinkBusyException.class, NativeErrors.newException("op", 16, null));
    NetlinkException e = NativeErrors.newException("ip link add x", 22, "unknown attribute");
    assertFalse(e instanceof NetlinkExistsException);
    assertEquals(22, e.errno());
    assertEquals("ip link add x: Invalid argument (errno 22): unknown attribute", e.getMessage());
  }

  @Test
  void sysctlKeys() {
    assertEquals(Path.of("/proc/sys/net/ipv4/ip_forward"), Sysctl.pathOf("net.ipv4.ip_forward"));
    assertEquals(Path.of("/proc/sys/net/ipv6/conf/flannel.1/accept_ra"),
        Sysctl.pathOf("net/ipv6/conf/flannel.1/accept_ra"));
    assertThrows(IllegalArgumentException.class, () -> Sysctl.pathOf("net/../../etc/passwd"));
  }

  @Test
  void optionsAreImmutable() {
    SubscribeOptions o = SubscribeOptions.DEFAULT.withListExisting(true);
    assertFalse(SubscribeOptions.DEFAULT.listExisting());
    assertTrue(o.listExisting());
    assertTrue(SubscribeOptions.builder().withListExisting(true).build().listExisting());
    assertFalse(TunOptions.DEFAULT.multiQueue());
    assertTrue(TunOptions.DEFAULT.withMultiQueue(true).multiQueue());
  }
}
