package io.overlaynet.wireguard;

import io.overlaynet.NetworkConfig;
import io.overlaynet.NetworkConfigException;
import io.overlaynet.wireguard.internal.PresharedKey;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The wireguard section of the network config ({@code "Backend": {"Type": "wireguard", ...}}), with
 * flannel's defaults (v0.28.9 {@code pkg/backend/wireguard/wireguard.go} {@code RegisterNetwork}):
 * option names match case-insensitively, as Go's {@code encoding/json} does; {@code Mode} values
 * match exactly, as flannel compares them.
 *
 * @param listenPort the UDP port of {@code flannel-wg} ({@code ListenPort}, 51820)
 * @param listenPortV6 the UDP port of {@code flannel-wg-v6} in {@code separate} mode
 *     ({@code ListenPortV6}, 51821)
 * @param psk the preshared key ({@code PSK}, base64, none by default)
 * @param keepalive the persistent keepalive ({@code PersistentKeepaliveInterval}, seconds, 0 = off)
 * @param mode how the tunnels are laid out ({@code Mode}, {@code separate})
 * @param mtu the MTU to subtract the overhead from ({@code MTU}); empty means the external interface's
 */
record WireGuardConfig(int listenPort, int listenPortV6, Optional<PresharedKey> psk, Duration keepalive, Mode mode,
    OptionalInt mtu) {

  /** flannel's default {@code ListenPort}. */
  static final int DEFAULT_PORT = 51820;
  /** flannel's default {@code ListenPortV6}. */
  static final int DEFAULT_PORT_V6 = 51821;

  /**
   * flannel's {@code Mode}: which devices exist and over which family a peer's tunnel runs
   * (v0.28.9 {@code wireguard.go}, {@code wireguard_network.go}).
   */
  enum Mode {
    /** {@code flannel-wg} carries IPv4 over IPv4, {@code flannel-wg-v6} IPv6 over IPv6 (the default). */
    SEPARATE,
    /** One {@code flannel-wg} for both families; per peer over IPv4 or IPv6, whichever is likelier to connect. */
    AUTO,
    /** One {@code flannel-wg} for both families, every peer over IPv4. */
    IPV4,
    /** One {@code flannel-wg} for both families, every peer over IPv6. */
    IPV6;

    /** Returns flannel's spelling, e.g. {@code separate}. */
    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the mode spelled {@code text} exactly as flannel spells it, if any. */
    static Optional<Mode> of(String text) {
      for (Mode m : values()) {
        if (m.wire().equals(text)) {
          return Optional.of(m);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * Parses the backend section; unknown options are ignored, as flannel does.
   *
   * @throws NetworkConfigException if an option has a bad value: flannel's {@code no valid Mode
   *     configured} for an unknown {@code Mode}, a port outside 1-65535, a PSK that is not a base64
   *     32-byte key
   */
  static WireGuardConfig parse(NetworkConfig.BackendConfig be) {
    int port = port(be, "ListenPort", DEFAULT_PORT);
    int port6 = port(be, "ListenPortV6", DEFAULT_PORT_V6);
    String modeText = be.getString("Mode", Mode.SEPARATE.wire());
    Mode mode = Mode.of(modeText).orElseThrow(() -> new NetworkConfigException("wireguard: no valid Mode configured: \""
        + modeText + "\" (one of separate, auto, ipv4, ipv6)"));
    int keepalive = be.getInt("PersistentKeepaliveInterval", 0);
    Optional<PresharedKey> psk = Optional.empty();
    String pskText = be.getString("PSK", "");
    if (!pskText.isEmpty()) {
      try {
        psk = Optional.of(PresharedKey.parse(pskText));
      } catch (IllegalArgumentException e) {
        throw new NetworkConfigException("wireguard PSK: " + e.getMessage());
      }
    }
    OptionalInt mtu = be.has("MTU") ? OptionalInt.of(be.getInt("MTU", 0)) : OptionalInt.empty();
    return new WireGuardConfig(port, port6, psk, Duration.ofSeconds(keepalive), mode, mtu);
  }

  private static int port(NetworkConfig.BackendConfig be, String name, int defaultPort) {
    int port = be.getInt(name, defaultPort);
    if (port < 1 || port > 65535) {
      throw new NetworkConfigException("wireguard " + name + " out of range: " + port);
    }
    return port;
  }

  /**
   * Checks the mode against the network's families, where flanneld would start and leave a mesh
   * that cannot work.
   *
   * @throws NetworkConfigException in {@code ipv4} mode without IPv4 (an IPv6-only node publishes no
   *     IPv4 address: flanneld's peers would get endpoint {@code 0.0.0.0}); in {@code separate} mode
   *     with both families and one port for both devices (the second device cannot listen)
   */
  void check(NetworkConfig network) {
    if (mode == Mode.IPV4 && !network.enableIpv4()) {
      throw new NetworkConfigException("wireguard Mode ipv4 runs every tunnel over IPv4, but EnableIPv4 is false "
          + "(an IPv6-only network publishes no IPv4 address): use Mode ipv6, auto or separate");
    }
    if (mode == Mode.SEPARATE && network.enableIpv4() && network.enableIpv6() && listenPort == listenPortV6) {
      throw new NetworkConfigException("wireguard Mode separate listens on ListenPort (flannel-wg) and ListenPortV6 "
          + "(flannel-wg-v6): they must differ, both are " + listenPort);
    }
  }

  /** Returns whether this mode has the IPv6 device {@code flannel-wg-v6} (separate mode with IPv6). */
  boolean hasV6Device(NetworkConfig network) {
    return mode == Mode.SEPARATE && network.enableIpv6();
  }

  /** Returns whether {@code flannel-wg} exists: always, except in separate mode without IPv4. */
  boolean hasMainDevice(NetworkConfig network) {
    return mode != Mode.SEPARATE || network.enableIpv4();
  }

  /** Returns the device MTU (and {@code FLANNEL_MTU}): {@code MTU} or the external interface's, minus 80. */
  int deviceMtu(int externalMtu) {
    return mtu.orElse(externalMtu) - WireGuardBackend.OVERHEAD;
  }

  /**
   * Returns the port published in {@code BackendV6Data}: {@code ListenPortV6} in separate mode, as
   * flanneld writes it; in the one-device modes the port that device listens on, {@code ListenPort}.
   * flanneld v0.28.9 writes {@code ListenPortV6} there too, a port its one device does not listen on.
   */
  int v6DataPort() {
    return mode == Mode.SEPARATE ? listenPortV6 : listenPort;
  }

  @Override
  public String toString() {
    return "ListenPort=" + listenPort + " ListenPortV6=" + listenPortV6 + " Mode=" + mode.wire()
        + " PersistentKeepaliveInterval=" + keepalive.toSeconds() + " PSK=" + (psk.isPresent() ? "set" : "none")
        + (mtu.isPresent() ? " MTU=" + mtu.getAsInt() : "");
  }
}
