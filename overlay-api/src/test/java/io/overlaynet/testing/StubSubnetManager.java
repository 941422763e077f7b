package io.overlaynet.testing;

import io.overlaynet.Lease;
import io.overlaynet.LeaseAttrs;
import io.overlaynet.LeaseKeeperListener;
import io.overlaynet.LeaseListener;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetManager;
import io.overlaynet.ip.Ip4Net;
import java.util.ArrayList;
import java.util.List;

/** Hands out one fixed subnet and records the attributes the backend published. */
public final class StubSubnetManager implements SubnetManager {

  public final NetworkConfig config;
  public final Ip4Net subnet;
  public final List<LeaseAttrs> acquired = new ArrayList<>();

  public StubSubnetManager(String configJson, String subnet) {
    this.config = NetworkConfig.parse(configJson);
    this.subnet = Ip4Net.parse(subnet);
  }

  @Override
  public NetworkConfig networkConfig() {
    return config;
  }

  @Override
  public synchronized Lease acquireLease(LeaseAttrs attrs) {
    acquired.add(attrs);
    return Lease.of(subnet, attrs);
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
