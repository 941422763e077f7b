package io.overlaynet.testing;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseKeeperListener;
import io.overlaynet.LeaseListener;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetManager;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Hands out one fixed subnet (and IPv6 subnet, if given) and records the attributes the backend published. */
public final class StubSubnetManager implements SubnetManager {

  public final NetworkConfig config;
  public final Ip4Net subnet;
  public final Optional<Ip6Net> ipv6Subnet;
  public final List<LeaseAttrs> acquired = new ArrayList<>();

  public StubSubnetManager(String configJson, String subnet) {
    this(configJson, subnet, null);
  }

  /** With {@code ipv6Subnet} (null for none); {@code subnet} null means IPv6-only (the empty IPv4 subnet). */
  public StubSubnetManager(String configJson, String subnet, String ipv6Subnet) {
    this.config = NetworkConfig.parse(configJson);
    this.subnet = subnet == null ? Ip4Net.EMPTY : Ip4Net.parse(subnet);
    this.ipv6Subnet = Optional.ofNullable(ipv6Subnet).map(Ip6Net::parse);
  }

  @Override
  public NetworkConfig networkConfig() {
    return config;
  }

  @Override
  public synchronized Lease acquireLease(LeaseAttrs attrs) {
    acquired.add(attrs);
    return new Lease(subnet, ipv6Subnet, attrs, Optional.empty());
  }

  @Override
  public Lease renewLease(Lease lease) {
    return lease;
  }

  @Override
  public LeaseWatch watchLeases(LeaseListener listener) {
    throw new UnsupportedOperationException();
  }

  @Override
  public LeaseWatch keepLease(Lease lease, LeaseKeeperListener listener) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {}
}
