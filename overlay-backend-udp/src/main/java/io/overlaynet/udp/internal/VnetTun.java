package io.overlaynet.udp.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One queue of a TUN device opened with {@code IFF_VNET_HDR} and TSO/checksum offload
 * ({@code TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4}): the kernel hands over whole TCP super-packets
 * (up to 64 KiB, one {@code read} instead of ~45) and the data path segments them before
 * encapsulation, so the wire still carries one plain IPv4 packet per datagram. Every packet is
 * preceded by a 10-byte {@code struct virtio_net_hdr}.
 *
 * <p>overlay-netlink's {@code TunDevice} has no vnet-header option yet, hence this small shim;
 * it belongs in overlay-netlink ({@code TunOptions.withVnetHdr}). Internal usage only.
 */
public final class VnetTun implements AutoCloseable {

  /** {@code sizeof(struct virtio_net_hdr)}. */
  public static final int VNET_HDR = 10;
  private static final long TUNSETIFF = 0x400454caL;
  private static final long TUNSETOFFLOAD = 0x400454d0L;
  private static final int IFF_TUN = 0x0001;
  private static final int IFF_NO_PI = 0x1000;
  private static final int IFF_MULTI_QUEUE = 0x0100;
  private static final int IFF_VNET_HDR = 0x4000;
  private static final int TUN_F_CSUM = 0x01;
  private static final int TUN_F_TSO4 = 0x02;
  private static final int O_RDWR = 2;
  private static final int O_NONBLOCK = 0x800;
  private static final int O_CLOEXEC = 0x80000;

  private final int fd;
  private final String name;
  private final boolean multiQueue;
  private boolean closed;

  private VnetTun(int fd, String name, boolean multiQueue) {
    this.fd = fd;
    this.name = name;
    this.multiQueue = multiQueue;
  }

  /**
   * Creates the device (or attaches a queue to it) in the calling thread's namespace.
   *
   * @throws IOException if {@code /dev/net/tun}, {@code TUNSETIFF} or {@code TUNSETOFFLOAD} fails
   */
  public static VnetTun open(String nameOrTemplate, boolean multiQueue) throws IOException {
    SocketLib lib = SocketLib.libc();
    int fd = lib.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      throw Errors.io("open /dev/net/tun", SocketLib.errno());
    }
    try {
      ByteBuffer ifr = ByteBuffer.allocateDirect(40).order(java.nio.ByteOrder.nativeOrder());
      ifr.put(0, nameOrTemplate.getBytes(StandardCharsets.UTF_8));
      ifr.putShort(16, (short) (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | (multiQueue ? IFF_MULTI_QUEUE : 0)));
      if (lib.ioctl(fd, TUNSETIFF, SocketLib.address(ifr)) < 0) {
        throw Errors.io("ioctl(TUNSETIFF, " + nameOrTemplate + ")", SocketLib.errno());
      }
      if (lib.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0) {
        throw Errors.io("ioctl(TUNSETOFFLOAD)", SocketLib.errno());
      }
      byte[] raw = new byte[16];
      ifr.get(0, raw);
      int len = 0;
      while (len < 16 && raw[len] != 0) {
        len++;
      }
      return new VnetTun(fd, new String(raw, 0, len, StandardCharsets.UTF_8), multiQueue);
    } catch (IOException | RuntimeException e) {
      lib.close(fd);
      throw e;
    }
  }

  /**
   * Attaches another queue of this multi-queue device.
   *
   * @throws IOException if attaching fails
   */
  public VnetTun openQueue() throws IOException {
    if (!multiQueue) {
      throw new IllegalStateException(name + " is not a multi-queue device");
    }
    return open(name, true);
  }

  /** Returns the device name. */
  public String name() {
    return name;
  }

  /** Returns the non-blocking fd; valid until {@link #close()}. */
  public int fd() {
    return fd;
  }

  /** Closes the queue; the device disappears with its last queue. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      SocketLib.libc().close(fd);
    }
  }

  @Override
  public String toString() {
    return "VnetTun{" + name + ", fd=" + fd + "}";
  }
}
