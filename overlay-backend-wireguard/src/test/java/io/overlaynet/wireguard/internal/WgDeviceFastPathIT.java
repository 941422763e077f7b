package io.overlaynet.wireguard.internal;

/**
 * {@link WgDeviceIT}'s tests against wireguard-go with our device on its fast path, as the
 * backend runs it: TUN offload (TCP super-packets cut into packets here, received segments
 * joined before the write) and a batched socket ({@code recvmmsg} with {@code UDP_GRO},
 * {@code sendmmsg} with {@code UDP_SEGMENT}).
 */
class WgDeviceFastPathIT extends WgDeviceIT {

  @Override
  boolean fastPath() {
    return true;
  }
}
