package io.overlaynet.udp;

import io.overlaynet.BackendException;
import io.overlaynet.DataPlaneEntry.Drift;
import io.overlaynet.Lease;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Address;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.netlink.Scope;
import io.overlaynet.netlink.Sysctl;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.netlink.UdpSocket;
import io.overlaynet.udp.internal.Counters;
import io.overlaynet.udp.internal.DataPath;
import io.overlaynet.udp.internal.PeerTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One incarnation of {@code flannel0}: its TUN queues, configured as flannel does, and the
 * data-path threads between them and the UDP sockets (which outlive it). Made at registration and
 * again whenever the device is deleted from outside, with the same settings.
 *
 * @param name the device name the kernel gave (normally {@code flannel0})
 * @param index the device's interface index
 * @param queues the TUN queues, each served by a tx and an rx thread
 * @param dataPath the threads and the peer table they route by
 * @param offload whether the device has the vnet header (TUN offloads)
 */
record UdpPlane(String name, int index, List<TunDevice> queues, DataPath dataPath, boolean offload) {

  private static final Logger log = LoggerFactory.getLogger(UdpPlane.class);

  /** What every incarnation shares: the node's lease and network, and the sockets. */
  record Spec(Lease lease, Ip4Net network, int mtu, int port, UdpOptions options, List<UdpSocket> sockets,
      Counters counters) {}

  /**
   * Creates and configures the device and starts the data path with {@code peers}. With offload
   * wanted but refused by the kernel, falls back to a plain device. On failure what was made here
   * is closed again.
   *
   * @throws BackendException if the device cannot be made or configured (the cause says why)
   */
  static UdpPlane open(Spec spec, boolean offloadWanted, PeerTable peers) {
    UdpOptions options = spec.options();
    List<AutoCloseable> made = new ArrayList<>();
    try {
      boolean multi = options.queues() > 1;
      boolean offload = offloadWanted;
      TunDevice first = null;
      if (offload) {
        try {
          first = TunDevice.create(UdpBackend.DEVICE_TEMPLATE,
              TunOptions.DEFAULT.withMultiQueue(multi).withVnetHeader(true));
        } catch (IOException e) {
          log.warn("TUN offload (IFF_VNET_HDR, TSO) unavailable, using a plain TUN device: {}", e.getMessage());
          offload = false;
        }
      }
      if (first == null) {
        first = TunDevice.create(UdpBackend.DEVICE_TEMPLATE, TunOptions.DEFAULT.withMultiQueue(multi));
      }
      made.add(first);
      List<TunDevice> tuns = new ArrayList<>();
      tuns.add(first);
      for (int i = 1; i < options.queues(); i++) {
        TunDevice q = first.openQueue();
        made.add(q);
        tuns.add(q);
      }
      String name = first.name();
      List<UdpSocket> sockets = spec.sockets();
      // Probed once, on the first socket: the kernel is the same for all.
      boolean gso = offload && options.udpGso() && sockets.get(0).supportsGso();
      boolean gro = offload && options.udpGro();
      // Only the offload receive loop reads the UDP_GRO cmsg; any other would take several
      // datagrams for one. So: on for every socket, or for none.
      for (int i = 0; gro && i < sockets.size(); i++) {
        gro = sockets.get(i).setGro(true);
      }
      if (!gro) {
        sockets.forEach(s -> s.setGro(false));
      }
      int index = configure(name, spec.lease(), spec.network(), spec.mtu());

      Lease lease = spec.lease();
      int ownMask = lease.subnet().prefixLength() == 0 ? 0 : -1 << (32 - lease.subnet().prefixLength());
      DataPath dataPath = new DataPath(new DataPath.Config(name, lease.subnet().address().toInt(),
          lease.subnet().address().toInt() & ownMask, ownMask, spec.port(), options.batchSize(), spec.mtu(), offload,
          gso, gro), spec.counters());
      made.add(dataPath);
      dataPath.setPeers(peers);
      for (int i = 0; i < tuns.size(); i++) {
        dataPath.start(i, tuns.get(i), sockets.get(i));
      }
      log.info("udp backend up: {} mtu {} address {}/32, {} queue(s), TUN offload {}, UDP GSO {}, UDP GRO {}, UDP"
          + " port {}", name, spec.mtu(), lease.subnet().address(), tuns.size(), offload ? "on" : "off",
          gso ? "on" : "off", gro ? "on" : "off", spec.port());
      return new UdpPlane(name, index, List.copyOf(tuns), dataPath, offload);
    } catch (IOException e) {
      closeAll(made, e);
      throw new BackendException("udp: cannot make " + UdpBackend.DEVICE_TEMPLATE.replace("%d", "N") + ": "
          + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      closeAll(made, e);
      throw e;
    }
  }

  /** Closes what was made, the data path first (its threads borrow the fds), then the devices. */
  private static void closeAll(List<AutoCloseable> made, Throwable failure) {
    for (int i = made.size() - 1; i >= 0; i--) {
      try {
        made.get(i).close();
      } catch (Exception cleanup) {
        failure.addSuppressed(cleanup);
      }
    }
  }

  /**
   * flannel's {@code configureIface}: address /32, MTU, up, then the route for the whole network.
   * Every step replaces, so running it on a configured device changes nothing.
   *
   * @return the device's index
   */
  static int configure(String name, Lease lease, Ip4Net network, int mtu) throws IOException {
    try (NetlinkHandle h = NetlinkHandle.open()) {
      Link link = h.linkByName(name);
      // A /32 so the kernel adds no broadcast or subnet routes: the address only gives host →
      // container traffic a source the other side can answer to.
      h.addrReplace(Address.of(link.index(), lease.subnet().address(), 32));
      h.linkSetMtu(link.index(), mtu);
      // The ICMP net unreachable the data path writes back comes from this very address; without
      // accept_local the kernel drops it as a martian (local source on input), which silently
      // breaks flanneld's unreachable reply. Only packets this node's proxy writes enter here.
      Sysctl.current().set("net/ipv4/conf/" + name + "/accept_local", "1");
      h.linkSetUp(link.index());
      // Replace rather than add: flannel ignores EEXIST, which would leave a stale route in place.
      h.routeReplace(route(network, link.index()));
      return link.index();
    }
  }

  /** Returns {@code <Network> dev flannel0}. */
  static Route route(Ip4Net network, int index) {
    return Route.builder(network).withLinkIndex(index).withScope(Scope.UNIVERSE).build();
  }

  /**
   * How a plane's device and route stand in the kernel ({@link UdpPlane#health}): what the
   * periodic check restores and what {@link UdpNetwork#dataPlane()} reports.
   *
   * @param device {@code OK} when the plane's device is up with its MTU and address; {@code MISSING}
   *     when it is gone (or another device took its name); {@code WRONG} otherwise
   * @param route {@code OK} when the main table routes the Network through the device;
   *     {@code WRONG} when it routes the Network otherwise; {@code MISSING} when not at all
   * @param faults what is wrong, for people: {@code the device is down}, {@code its address
   *     10.5.1.0/32}, {@code the route 10.5.0.0/16 dev flannel0}; empty when both are {@code OK}
   */
  record Health(Drift device, Drift route, List<String> faults) {}

  /**
   * Reads how this plane's device and route stand: {@code link} is the device of that name now
   * (null if none). One address and one route dump.
   *
   * @throws NetlinkException if the kernel cannot be read
   */
  Health health(NetlinkHandle nl, Link link, Spec spec) throws NetlinkException {
    List<String> faults = new ArrayList<>();
    Drift device = Drift.MISSING;
    if (link != null && link.index() == index) {
      if (!link.isUp()) {
        faults.add("the device is down");
      }
      if (link.attrs().mtu() != spec.mtu()) {
        faults.add("its MTU " + spec.mtu() + " (was " + link.attrs().mtu() + ")");
      }
      Ip4 self = spec.lease().subnet().address();
      if (nl.addrList(index, Family.V4).stream().noneMatch(a -> a.ip().equals(self) && a.prefixLength() == 32)) {
        faults.add("its address " + self + "/32");
      }
      device = faults.isEmpty() ? Drift.OK : Drift.WRONG;
    }
    Drift route = routeDrift(nl.routeList(Family.V4), spec.network());
    if (route != Drift.OK) {
      faults.add("the route " + spec.network() + " dev " + name);
    }
    return new Health(device, route, List.copyOf(faults));
  }

  /** Returns whether {@code table} routes {@code network} through this device, otherwise, or not at all. */
  private Drift routeDrift(List<Route> table, Ip4Net network) {
    List<Route> toNetwork = table.stream().filter(r -> r.dst().equals(network)).toList();
    if (toNetwork.stream().anyMatch(r -> r.linkIndex() == index && r.gateway() == null)) {
      return Drift.OK;
    }
    return toNetwork.isEmpty() ? Drift.MISSING : Drift.WRONG;
  }

  /**
   * Stops the threads and closes the queues, removing the device.
   *
   * @return false if a thread did not stop within 5 s (they stop within milliseconds when woken;
   *     the margin is for a machine under heavy load): the fds are then left open, since a thread
   *     still inside a native call would use them after they are closed (or reused)
   */
  boolean close() {
    if (!dataPath.stop(5000)) {
      return false;
    }
    dataPath.close();
    for (TunDevice q : queues) {
      q.close();
    }
    return true;
  }
}
