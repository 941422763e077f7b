package io.overlaynet.netlink.codec;

/**
 * rtnetlink constants from {@code <linux/rtnetlink.h>}, {@code if_link.h}, {@code if_addr.h}
 * and {@code neighbour.h}: message types, attribute types, route types, scopes, neighbour states
 * and multicast groups.
 *
 * <pre>{@code
 * msg.type() == RtnlConstants.RTM_NEWLINK
 * }</pre>
 */
public final class RtnlConstants {

  private RtnlConstants() {}

  // Address families.
  /** Unspecified family (all families in a dump). */
  public static final int AF_UNSPEC = 0;
  /** IPv4. */
  public static final int AF_INET = 2;
  /** Bridge (FDB entries). */
  public static final int AF_BRIDGE = 7;
  /** IPv6. */
  public static final int AF_INET6 = 10;

  // Message types.
  /** New or changed link. */ public static final int RTM_NEWLINK = 16;
  /** Deleted link. */ public static final int RTM_DELLINK = 17;
  /** Get links. */ public static final int RTM_GETLINK = 18;
  /** Set link attributes. */ public static final int RTM_SETLINK = 19;
  /** New address. */ public static final int RTM_NEWADDR = 20;
  /** Deleted address. */ public static final int RTM_DELADDR = 21;
  /** Get addresses. */ public static final int RTM_GETADDR = 22;
  /** New route. */ public static final int RTM_NEWROUTE = 24;
  /** Deleted route. */ public static final int RTM_DELROUTE = 25;
  /** Get routes. */ public static final int RTM_GETROUTE = 26;
  /** New neighbour. */ public static final int RTM_NEWNEIGH = 28;
  /** Deleted neighbour. */ public static final int RTM_DELNEIGH = 29;
  /** Get neighbours (also sent by the kernel as a resolution request). */
  public static final int RTM_GETNEIGH = 30;

  // Link attributes (IFLA_*).
  /** Hardware address. */ public static final int IFLA_ADDRESS = 1;
  /** Broadcast hardware address. */ public static final int IFLA_BROADCAST = 2;
  /** Interface name. */ public static final int IFLA_IFNAME = 3;
  /** MTU. */ public static final int IFLA_MTU = 4;
  /** Parent / peer link index. */ public static final int IFLA_LINK = 5;
  /** Master (bridge) index. */ public static final int IFLA_MASTER = 10;
  /** Transmit queue length. */ public static final int IFLA_TXQLEN = 13;
  /** RFC 2863 operational state. */ public static final int IFLA_OPERSTATE = 16;
  /** Nested kind-specific info. */ public static final int IFLA_LINKINFO = 18;
  /** Target namespace by pid. */ public static final int IFLA_NET_NS_PID = 19;
  /** Target namespace by fd. */ public static final int IFLA_NET_NS_FD = 28;
  /** Extended info filter mask. */ public static final int IFLA_EXT_MASK = 29;
  /** Namespace id of the peer link. */ public static final int IFLA_LINK_NETNSID = 37;

  /** IFLA_LINKINFO: kind string. */ public static final int IFLA_INFO_KIND = 1;
  /** IFLA_LINKINFO: kind-specific data. */ public static final int IFLA_INFO_DATA = 2;
  /** IFLA_LINKINFO: kind of the master's slave data. */ public static final int IFLA_INFO_SLAVE_KIND = 4;

  /** veth: nested peer ifinfomsg + attributes. */ public static final int VETH_INFO_PEER = 1;

  // VXLAN attributes (IFLA_VXLAN_*).
  /** VNI (u32). */ public static final int IFLA_VXLAN_ID = 1;
  /** Remote / group IPv4 address. */ public static final int IFLA_VXLAN_GROUP = 2;
  /** Underlay device index (u32). */ public static final int IFLA_VXLAN_LINK = 3;
  /** Local IPv4 address. */ public static final int IFLA_VXLAN_LOCAL = 4;
  /** TTL (u8). */ public static final int IFLA_VXLAN_TTL = 5;
  /** TOS (u8). */ public static final int IFLA_VXLAN_TOS = 6;
  /** MAC learning (u8). */ public static final int IFLA_VXLAN_LEARNING = 7;
  /** FDB ageing seconds (u32). */ public static final int IFLA_VXLAN_AGEING = 8;
  /** ARP proxy (u8). */ public static final int IFLA_VXLAN_PROXY = 11;
  /** L2 miss notifications (u8). */ public static final int IFLA_VXLAN_L2MISS = 13;
  /** L3 miss notifications (u8). */ public static final int IFLA_VXLAN_L3MISS = 14;
  /** Destination UDP port (be16). */ public static final int IFLA_VXLAN_PORT = 15;
  /** Remote / group IPv6 address. */ public static final int IFLA_VXLAN_GROUP6 = 16;
  /** Local IPv6 address. */ public static final int IFLA_VXLAN_LOCAL6 = 17;
  /** UDP checksums over IPv4 (u8). */ public static final int IFLA_VXLAN_UDP_CSUM = 18;
  /** Zero UDP checksums sent over IPv6 (u8). */ public static final int IFLA_VXLAN_UDP_ZERO_CSUM6_TX = 19;
  /** Zero UDP checksums accepted over IPv6 (u8). */ public static final int IFLA_VXLAN_UDP_ZERO_CSUM6_RX = 20;
  /** Group-based policy extension (flag). */ public static final int IFLA_VXLAN_GBP = 23;

  // Address attributes (IFA_*).
  /** Peer / prefix address. */ public static final int IFA_ADDRESS = 1;
  /** Local address. */ public static final int IFA_LOCAL = 2;
  /** Label. */ public static final int IFA_LABEL = 3;
  /** Broadcast address. */ public static final int IFA_BROADCAST = 4;
  /** 32-bit flags. */ public static final int IFA_FLAGS = 8;

  // Route attributes (RTA_*).
  /** Destination. */ public static final int RTA_DST = 1;
  /** Source selector. */ public static final int RTA_SRC = 2;
  /** Input interface. */ public static final int RTA_IIF = 3;
  /** Output interface. */ public static final int RTA_OIF = 4;
  /** Gateway. */ public static final int RTA_GATEWAY = 5;
  /** Metric. */ public static final int RTA_PRIORITY = 6;
  /** Preferred source. */ public static final int RTA_PREFSRC = 7;
  /** Table id (u32). */ public static final int RTA_TABLE = 15;

  // Route types (RTN_*).
  /** Unspecified. */ public static final int RTN_UNSPEC = 0;
  /** Gateway or direct route. */ public static final int RTN_UNICAST = 1;
  /** Local address. */ public static final int RTN_LOCAL = 2;
  /** Broadcast. */ public static final int RTN_BROADCAST = 3;
  /** Multicast. */ public static final int RTN_MULTICAST = 5;
  /** Drop silently. */ public static final int RTN_BLACKHOLE = 6;
  /** Destination unreachable. */ public static final int RTN_UNREACHABLE = 7;
  /** Administratively prohibited. */ public static final int RTN_PROHIBIT = 8;

  /** Route protocol "boot", what {@code ip route add} uses. */ public static final int RTPROT_BOOT = 3;
  /** Route protocol "kernel". */ public static final int RTPROT_KERNEL = 2;
  /** The main routing table. */ public static final int RT_TABLE_MAIN = 254;
  /** The local routing table. */ public static final int RT_TABLE_LOCAL = 255;
  /** Route flag: gateway is on-link. */ public static final int RTNH_F_ONLINK = 4;
  /** Route flag: a cloned (cache) route. */ public static final int RTM_F_CLONED = 0x200;

  // Scopes.
  /** Global scope. */ public static final int RT_SCOPE_UNIVERSE = 0;
  /** Link scope. */ public static final int RT_SCOPE_LINK = 253;
  /** Host scope. */ public static final int RT_SCOPE_HOST = 254;
  /** No destination; matches any scope in a delete. */ public static final int RT_SCOPE_NOWHERE = 255;

  // Neighbour attributes (NDA_*), flags (NTF_*), states (NUD_*).
  /** Network-layer address. */ public static final int NDA_DST = 1;
  /** Link-layer address. */ public static final int NDA_LLADDR = 2;
  /** VLAN id. */ public static final int NDA_VLAN = 5;
  /** Remote UDP port (FDB on vxlan). */ public static final int NDA_PORT = 6;
  /** VNI (FDB on vxlan). */ public static final int NDA_VNI = 7;
  /** Outgoing interface (FDB on vxlan). */ public static final int NDA_IFINDEX = 8;
  /** Master device (bridge). */ public static final int NDA_MASTER = 9;
  /** Entry is on the device itself ({@code bridge fdb ... self}). */ public static final int NTF_SELF = 0x02;
  /** Entry is on the master ({@code bridge fdb ... master}). */ public static final int NTF_MASTER = 0x04;
  /** Proxy entry. */ public static final int NTF_PROXY = 0x08;
  /** Externally learned. */ public static final int NTF_EXT_LEARNED = 0x10;
  /** Router flag. */ public static final int NTF_ROUTER = 0x80;
  /** Incomplete. */ public static final int NUD_INCOMPLETE = 0x01;
  /** Reachable. */ public static final int NUD_REACHABLE = 0x02;
  /** Stale. */ public static final int NUD_STALE = 0x04;
  /** Delay. */ public static final int NUD_DELAY = 0x08;
  /** Probe. */ public static final int NUD_PROBE = 0x10;
  /** Failed. */ public static final int NUD_FAILED = 0x20;
  /** No ARP needed. */ public static final int NUD_NOARP = 0x40;
  /** Permanent (static) entry. */ public static final int NUD_PERMANENT = 0x80;

  // Interface flags (IFF_*).
  /** Administratively up. */ public static final int IFF_UP = 0x1;
  /** Loopback. */ public static final int IFF_LOOPBACK = 0x8;
  /** Point-to-point. */ public static final int IFF_POINTOPOINT = 0x10;
  /** Running. */ public static final int IFF_RUNNING = 0x40;
  /** No ARP. */ public static final int IFF_NOARP = 0x80;
  /** Lower layer up (carrier). */ public static final int IFF_LOWER_UP = 0x10000;

  // Multicast groups for subscriptions (RTMGRP_* bitmask, bound in sockaddr_nl).
  /** Link events. */ public static final int RTMGRP_LINK = 0x1;
  /** Neighbour events. */ public static final int RTMGRP_NEIGH = 0x4;
  /** IPv4 address events. */ public static final int RTMGRP_IPV4_IFADDR = 0x10;
  /** IPv4 route events. */ public static final int RTMGRP_IPV4_ROUTE = 0x40;
  /** IPv6 address events. */ public static final int RTMGRP_IPV6_IFADDR = 0x100;
  /** IPv6 route events. */ public static final int RTMGRP_IPV6_ROUTE = 0x400;

  /** Attribute type flag: the attribute is nested. */ public static final int NLA_F_NESTED = 0x8000;
  /** Attribute type flag: network byte order. */ public static final int NLA_F_NET_BYTEORDER = 0x4000;
}
