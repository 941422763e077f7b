package io.overlaynet.netlink;

import io.overlaynet.netlink.internal.Native;
import io.overlaynet.netlink.internal.NetlinkSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Capability probes of this module: rtnetlink itself, TUN devices and VXLAN links. Each is
 * probed once and explains a failure.
 *
 * <pre>{@code
 * if (!Netlink.isAvailable()) {
 *   log.warn("no netlink: {}", Netlink.unavailabilityCause());
 * }
 * Netlink.vxlan().ensureAvailability();
 * }</pre>
 */
public final class Netlink {

  private static final Capability NETLINK = Capability.of("netlink", Netlink::probeNetlink);
  private static final Capability TUN = Capability.of("tun", Netlink::probeTun);
  private static final Capability VXLAN = Capability.of("vxlan", Netlink::probeVxlan);

  private static final AtomicBoolean PRELOADING = new AtomicBoolean();

  private Netlink() {}

  /**
   * Starts binding libc on a daemon thread and returns at once; idempotent. jnr-ffi generates the
   * binding's classes at run time (~0.2 s on a 2-core machine, and a CDS archive cannot hold
   * them), so a program that calls this first thing lets that work overlap with its other
   * start-up work; its first netlink call then finds the binding ready, or waits for it to finish.
   */
  public static void preloadInBackground() {
    if (PRELOADING.compareAndSet(false, true)) {
      Thread t = new Thread(Native::loadFailure, "overlaynet-netlink-preload");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Returns whether an rtnetlink socket can be opened. */
  public static boolean isAvailable() {
    return NETLINK.isAvailable();
  }

  /**
   * Throws unless rtnetlink is available.
   *
   * @throws UnsupportedOperationException with the cause
   */
  public static void ensureAvailability() {
    NETLINK.ensureAvailability();
  }

  /** Returns why rtnetlink is unavailable, or null. */
  public static Throwable unavailabilityCause() {
    return NETLINK.unavailabilityCause();
  }

  /** Returns the rtnetlink capability. */
  public static Capability netlink() {
    return NETLINK;
  }

  /** Returns the TUN capability: {@code /dev/net/tun} can be opened for reading and writing. */
  public static Capability tun() {
    return TUN;
  }

  /**
   * Returns the VXLAN capability: a vxlan link can be created (probed in a throwaway namespace,
   * so it needs the privileges to create one).
   */
  public static Capability vxlan() {
    return VXLAN;
  }

  private static Throwable probeNetlink() {
    if (Native.loadFailure() != null) {
      return Native.loadFailure();
    }
    try (NetlinkSocket s = NetlinkSocket.open(0)) {
      return null;
    } catch (NetlinkException e) {
      return e;
    }
  }

  private static Throwable probeTun() {
    Path dev = Path.of("/dev/net/tun");
    if (!Files.exists(dev)) {
      return new UnsupportedOperationException("/dev/net/tun does not exist (modprobe tun)");
    }
    if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
      return new UnsupportedOperationException("/dev/net/tun is not readable and writable by this user");
    }
    return probeNetlink();
  }

  private static Throwable probeVxlan() {
    Throwable t = probeNetlink();
    if (t != null) {
      return t;
    }
    try (NetNs scratch = NetNs.createUnnamed(); NetlinkHandle h = NetlinkHandle.openIn(scratch)) {
      h.linkAdd(Link.of("vxprobe0", VxlanInfo.builder(42).withPort(4789).build()));
      return null;
    } catch (NetlinkException | RuntimeException e) {
      return e;
    }
  }
}
