package io.overlaynet.netlink;

import io.overlaynet.ip.IpAddress;
import io.overlaynet.ip.MacAddress;
import io.overlaynet.netlink.internal.RtnlHandle;
import java.util.List;

/**
 * An rtnetlink connection bound to one network namespace: links, addresses, routes,
 * neighbours, bridge FDB entries and change subscriptions, with verbs that mirror iproute2.
 *
 * <pre>{@code
 * try (NetlinkHandle h = NetlinkHandle.open()) {
 *   Link eth0 = h.linkByName("eth0");
 *   Link vx = h.linkAdd(Link.of(LinkAttrs.builder("flannel.1").withMtu(1450).build(),
 *       VxlanInfo.builder(1).withLocal(Ip4.parse("192.0.2.11")).withVtepDevIndex(eth0.index())
 *           .withLearning(false).build()));
 *   h.linkSetUp(vx.index());
 *   h.routeReplace(Route.builder(IpNet.parse("10.5.2.0/24")).withGateway(Ip4.parse("10.5.2.0"))
 *       .withLinkIndex(vx.index()).withOnlink(true).build());
 * }
 * }</pre>
 *
 * <p>Thread-safe: requests on one handle are serialised. Every request is bounded by a timeout
 * (10 s); {@link #close()} returns at once and makes a request in flight fail. Kernel errors are
 * {@link NetlinkException}s carrying errno and the kernel's extended-ack text, with subclasses for
 * EEXIST, ENOENT/ESRCH/ENODEV and EBUSY. Dumps interrupted by concurrent changes are retried.
 *
 * <p>It is an interface so that backends can be unit-tested against a fake.
 */
public interface NetlinkHandle extends AutoCloseable {

  /**
   * Opens a handle in the calling thread's network namespace.
   *
   * @throws NetlinkException if the socket cannot be opened
   * @throws UnsupportedOperationException if netlink is unavailable ({@link Netlink#unavailabilityCause()})
   */
  static NetlinkHandle open() throws NetlinkException {
    return RtnlHandle.open(null);
  }

  /**
   * Opens a handle whose socket lives in {@code ns} (created on a thread inside it), usable from any thread.
   *
   * @throws NetlinkException if entering the namespace or opening the socket fails
   */
  static NetlinkHandle openIn(NetNs ns) throws NetlinkException {
    return RtnlHandle.open(ns);
  }

  /** Returns the namespace given to {@link #openIn}, or null for a handle opened with {@link #open()}. */
  NetNs netNs();

  /** Returns a {@link Sysctl} view of this handle's namespace. Equivalent to: {@code ip netns exec NS sysctl}. */
  Sysctl sysctl();

  // ------------------------------------------------------------------ links

  /**
   * Creates a link and returns it as read back from the kernel (a veth peer created in another
   * namespace is not visible here).
   *
   * <p>Equivalent to: {@code ip link add NAME [mtu M] [address MAC] type KIND ...}
   *
   * @throws NetlinkExistsException if a link of that name exists
   * @throws NetlinkException for other kernel errors
   */
  Link linkAdd(Link link) throws NetlinkException;

  /**
   * Returns the link called {@code name}.
   *
   * <p>Equivalent to: {@code ip -d link show dev NAME}
   *
   * @throws NetlinkNotFoundException if there is none
   * @throws NetlinkException for other kernel errors
   */
  Link linkByName(String name) throws NetlinkException;

  /**
   * Returns the link with index {@code index}.
   *
   * <p>Equivalent to: {@code ip -d link show} (filtered by index)
   *
   * @throws NetlinkNotFoundException if there is none
   * @throws NetlinkException for other kernel errors
   */
  Link linkByIndex(int index) throws NetlinkException;

  /**
   * Lists all links.
   *
   * <p>Equivalent to: {@code ip -d link show}
   *
   * @throws NetlinkException for kernel errors
   */
  List<Link> linkList() throws NetlinkException;

  /**
   * Sets a link administratively up.
   *
   * <p>Equivalent to: {@code ip link set dev NAME up}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetUp(int index) throws NetlinkException;

  /**
   * Sets a link administratively down.
   *
   * <p>Equivalent to: {@code ip link set dev NAME down}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetDown(int index) throws NetlinkException;

  /**
   * Sets the MTU.
   *
   * <p>Equivalent to: {@code ip link set dev NAME mtu MTU}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetMtu(int index, int mtu) throws NetlinkException;

  /**
   * Sets the MAC address.
   *
   * <p>Equivalent to: {@code ip link set dev NAME address MAC}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetHardwareAddr(int index, MacAddress mac) throws NetlinkException;

  /**
   * Enslaves a link to a master (bridge); {@code masterIndex} 0 releases it.
   *
   * <p>Equivalent to: {@code ip link set dev NAME master BRIDGE} / {@code nomaster}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetMaster(int index, int masterIndex) throws NetlinkException;

  /**
   * Renames a link (it must be down).
   *
   * <p>Equivalent to: {@code ip link set dev NAME name NEWNAME}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetName(int index, String name) throws NetlinkException;

  /**
   * Moves a link into another namespace.
   *
   * <p>Equivalent to: {@code ip link set dev NAME netns NS}
   *
   * @throws NetlinkException for kernel errors
   */
  void linkSetNsFd(int index, NetNs ns) throws NetlinkException;

  /**
   * Deletes a link (for a veth, both ends).
   *
   * <p>Equivalent to: {@code ip link del dev NAME}
   *
   * @throws NetlinkNotFoundException if there is no such link
   * @throws NetlinkException for other kernel errors
   */
  void linkDel(int index) throws NetlinkException;

  // ------------------------------------------------------------------ addresses

  /**
   * Adds an address.
   *
   * <p>Equivalent to: {@code ip addr add IP/LEN dev NAME}
   *
   * @throws NetlinkExistsException if the address is already on the link
   * @throws NetlinkException for other kernel errors
   */
  void addrAdd(Address address) throws NetlinkException;

  /**
   * Adds an address or updates it if present.
   *
   * <p>Equivalent to: {@code ip addr replace IP/LEN dev NAME}
   *
   * @throws NetlinkException for kernel errors
   */
  void addrReplace(Address address) throws NetlinkException;

  /**
   * Removes an address.
   *
   * <p>Equivalent to: {@code ip addr del IP/LEN dev NAME}
   *
   * @throws NetlinkException for kernel errors (EADDRNOTAVAIL if absent)
   */
  void addrDel(Address address) throws NetlinkException;

  /**
   * Lists addresses of one link ({@code linkIndex > 0}) or all links (0).
   *
   * <p>Equivalent to: {@code ip [-4|-6] addr show [dev NAME]}
   *
   * @throws NetlinkException for kernel errors
   */
  List<Address> addrList(int linkIndex, Family family) throws NetlinkException;

  // ------------------------------------------------------------------ routes

  /**
   * Adds a route.
   *
   * <p>Equivalent to: {@code ip route add ...}
   *
   * @throws NetlinkExistsException if the route exists
   * @throws NetlinkException for other kernel errors (ENETUNREACH for an unreachable gateway)
   */
  void routeAdd(Route route) throws NetlinkException;

  /**
   * Adds a route or replaces the one with the same destination, table and metric.
   *
   * <p>Equivalent to: {@code ip route replace ...}
   *
   * @throws NetlinkException for kernel errors
   */
  void routeReplace(Route route) throws NetlinkException;

  /**
   * Deletes a route; fields given (gateway, device, type, table) must match, scope is ignored.
   *
   * <p>Equivalent to: {@code ip route del ...}
   *
   * @throws NetlinkNotFoundException if no route matches (ESRCH)
   * @throws NetlinkException for other kernel errors
   */
  void routeDel(Route route) throws NetlinkException;

  /**
   * Lists the routes of the main table, without cached clones.
   *
   * <p>Equivalent to: {@code ip [-4|-6] route show}
   *
   * @throws NetlinkException for kernel errors
   */
  List<Route> routeList(Family family) throws NetlinkException;

  /**
   * Lists the routes of one table, or of all tables when {@code table} is 0.
   *
   * <p>Equivalent to: {@code ip [-4|-6] route show table TABLE|all}
   *
   * @throws NetlinkException for kernel errors
   */
  List<Route> routeList(Family family, int table) throws NetlinkException;

  /**
   * Returns the route the kernel would use to reach {@code destination}.
   *
   * <p>Equivalent to: {@code ip route get ADDRESS}
   *
   * @throws NetlinkException for kernel errors (ENETUNREACH when there is no route)
   */
  List<Route> routeGet(IpAddress destination) throws NetlinkException;

  /**
   * Replaces many routes with pipelined requests (far fewer round trips than one call each).
   * Every route is attempted; the first failure is thrown afterwards with the others suppressed.
   *
   * <p>Equivalent to: {@code ip -batch} of {@code route replace ...} lines
   *
   * @throws NetlinkException if any route failed
   */
  void routeReplaceAll(List<Route> routes) throws NetlinkException;

  /**
   * Deletes many routes with pipelined requests; every route is attempted, the first failure is thrown.
   *
   * <p>Equivalent to: {@code ip -batch} of {@code route del ...} lines
   *
   * @throws NetlinkException if any deletion failed
   */
  void routeDelAll(List<Route> routes) throws NetlinkException;

  // ------------------------------------------------------------------ neighbours

  /**
   * Adds or replaces a neighbour entry.
   *
   * <p>Equivalent to: {@code ip neigh replace IP lladdr MAC dev NAME nud permanent}
   *
   * @throws NetlinkException for kernel errors
   */
  void neighSet(Neighbor neighbor) throws NetlinkException;

  /**
   * Adds a neighbour entry, failing if it exists.
   *
   * <p>Equivalent to: {@code ip neigh add IP lladdr MAC dev NAME nud permanent}
   *
   * @throws NetlinkExistsException if it exists
   * @throws NetlinkException for other kernel errors
   */
  void neighAdd(Neighbor neighbor) throws NetlinkException;

  /**
   * Deletes a neighbour entry.
   *
   * <p>Equivalent to: {@code ip neigh del IP dev NAME}
   *
   * @throws NetlinkNotFoundException if there is none
   * @throws NetlinkException for other kernel errors
   */
  void neighDel(Neighbor neighbor) throws NetlinkException;

  /**
   * Lists neighbour entries of one link ({@code linkIndex > 0}) or all links (0).
   *
   * <p>Equivalent to: {@code ip [-4|-6] neigh show [dev NAME]}
   *
   * @throws NetlinkException for kernel errors
   */
  List<Neighbor> neighList(int linkIndex, Family family) throws NetlinkException;

  /**
   * Adds or replaces many neighbour entries with pipelined requests. Every entry is attempted;
   * the first failure is thrown afterwards with the others suppressed. The default sends one
   * request per entry; the kernel handle pipelines them.
   *
   * <p>Equivalent to: {@code ip -batch} of {@code neigh replace IP lladdr MAC dev NAME nud permanent} lines
   *
   * @throws NetlinkException if any entry failed
   */
  default void neighSetAll(List<Neighbor> neighbors) throws NetlinkException {
    BatchFallback.run(neighbors, this::neighSet);
  }

  /**
   * Deletes many neighbour entries with pipelined requests; every entry is attempted, the first
   * failure (e.g. {@link NetlinkNotFoundException}) is thrown afterwards.
   *
   * <p>Equivalent to: {@code ip -batch} of {@code neigh del IP dev NAME} lines
   *
   * @throws NetlinkException if any deletion failed
   */
  default void neighDelAll(List<Neighbor> neighbors) throws NetlinkException {
    BatchFallback.run(neighbors, this::neighDel);
  }

  // ------------------------------------------------------------------ bridge FDB

  /**
   * Adds or replaces an FDB entry.
   *
   * <p>Equivalent to: {@code bridge fdb replace MAC dev NAME dst IP self permanent}
   *
   * @throws NetlinkException for kernel errors
   */
  void fdbSet(FdbEntry entry) throws NetlinkException;

  /**
   * Adds an FDB entry, failing if it exists.
   *
   * <p>Equivalent to: {@code bridge fdb add MAC dev NAME dst IP self permanent}
   *
   * @throws NetlinkExistsException if it exists
   * @throws NetlinkException for other kernel errors
   */
  void fdbAdd(FdbEntry entry) throws NetlinkException;

  /**
   * Appends an FDB entry: on a vxlan device, another remote for the same MAC (e.g. all-zero MAC flooding).
   *
   * <p>Equivalent to: {@code bridge fdb append MAC dev NAME dst IP self permanent}
   *
   * @throws NetlinkException for kernel errors
   */
  void fdbAppend(FdbEntry entry) throws NetlinkException;

  /**
   * Deletes an FDB entry.
   *
   * <p>Equivalent to: {@code bridge fdb del MAC dev NAME [dst IP] self}
   *
   * @throws NetlinkNotFoundException if there is none
   * @throws NetlinkException for other kernel errors
   */
  void fdbDel(FdbEntry entry) throws NetlinkException;

  /**
   * Lists FDB entries on one device ({@code linkIndex > 0}) or all (0).
   *
   * <p>Equivalent to: {@code bridge fdb show [dev NAME]}
   *
   * @throws NetlinkException for kernel errors
   */
  List<FdbEntry> fdbList(int linkIndex) throws NetlinkException;

  /**
   * Adds or replaces many FDB entries with pipelined requests; every entry is attempted, the
   * first failure is thrown afterwards with the others suppressed.
   *
   * <p>Equivalent to: {@code bridge -batch} of {@code fdb replace MAC dev NAME dst IP self permanent} lines
   *
   * @throws NetlinkException if any entry failed
   */
  default void fdbSetAll(List<FdbEntry> entries) throws NetlinkException {
    BatchFallback.run(entries, this::fdbSet);
  }

  /**
   * Deletes many FDB entries with pipelined requests; every entry is attempted, the first failure
   * is thrown afterwards.
   *
   * <p>Equivalent to: {@code bridge -batch} of {@code fdb del MAC dev NAME dst IP self} lines
   *
   * @throws NetlinkException if any deletion failed
   */
  default void fdbDelAll(List<FdbEntry> entries) throws NetlinkException {
    BatchFallback.run(entries, this::fdbDel);
  }

  // ------------------------------------------------------------------ subscriptions

  /**
   * Delivers link changes to {@code listener} on a dedicated thread until closed.
   *
   * <p>Equivalent to: {@code ip monitor link}
   *
   * @throws NetlinkException if the subscription socket cannot be opened
   */
  Subscription subscribeLinks(SubscribeOptions options, NetlinkListener<Link> listener) throws NetlinkException;

  /**
   * Delivers IPv4 and IPv6 address changes.
   *
   * <p>Equivalent to: {@code ip monitor address}
   *
   * @throws NetlinkException if the subscription socket cannot be opened
   */
  Subscription subscribeAddresses(SubscribeOptions options, NetlinkListener<Address> listener) throws NetlinkException;

  /**
   * Delivers IPv4 and IPv6 route changes (all tables).
   *
   * <p>Equivalent to: {@code ip monitor route}
   *
   * @throws NetlinkException if the subscription socket cannot be opened
   */
  Subscription subscribeRoutes(SubscribeOptions options, NetlinkListener<Route> listener) throws NetlinkException;

  /**
   * Delivers IPv4 and IPv6 neighbour changes.
   *
   * <p>Equivalent to: {@code ip monitor neigh}
   *
   * @throws NetlinkException if the subscription socket cannot be opened
   */
  Subscription subscribeNeighbors(SubscribeOptions options, NetlinkListener<Neighbor> listener)
      throws NetlinkException;

  /** Closes the socket; returns at once; idempotent. Subscriptions made from this handle keep running until closed. */
  @Override
  void close();
}
