package io.overlaynet.udp;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Tuning of the udp backend's data path; none of it changes the wire format. The UDP port is
 * not here: it comes from the network config ({@code "Backend": {"Type": "udp", "Port": 8285}}),
 * as in flannel.
 *
 * <pre>{@code
 * Backend udp = UdpBackend.create(UdpOptions.DEFAULT.withQueues(2).withBatchSize(64));
 * }</pre>
 */
public final class UdpOptions {

  /** One queue, batches of up to 32 packets per system call, 4 MiB socket buffers. */
  public static final UdpOptions DEFAULT = new UdpOptions(1, 32, 4 << 20, false);

  private final int queues;
  private final int batchSize;
  private final int socketBufferBytes;
  private final boolean offload;

  private UdpOptions(int queues, int batchSize, int socketBufferBytes, boolean offload) {
    this.queues = queues;
    this.batchSize = batchSize;
    this.socketBufferBytes = socketBufferBytes;
    this.offload = offload;
  }

  /**
   * Returns options with {@code n} queues: a multi-queue TUN device ({@code IFF_MULTI_QUEUE}) and
   * {@code n} UDP sockets sharing the port ({@code SO_REUSEPORT}), each queue served by its own
   * pair of threads. The kernel spreads flows over queues by hash, so one TCP stream uses one
   * queue; more queues help with many flows or many peers.
   *
   * @throws IllegalArgumentException if {@code n} is not in 1..16
   */
  public UdpOptions withQueues(int n) {
    checkArgument(n >= 1 && n <= 16, "queues must be in 1..16: %s", n);
    return new UdpOptions(n, batchSize, socketBufferBytes, offload);
  }

  /**
   * Returns options with at most {@code n} packets per {@code sendmmsg}/{@code recvmmsg}; 1 is
   * flanneld's one packet per system call.
   *
   * @throws IllegalArgumentException if {@code n} is not in 1..1024
   */
  public UdpOptions withBatchSize(int n) {
    checkArgument(n >= 1 && n <= 1024, "batch size must be in 1..1024: %s", n);
    return new UdpOptions(queues, n, socketBufferBytes, offload);
  }

  /**
   * Returns options with UDP send and receive buffers of {@code bytes} (forced past
   * {@code net.core.[rw]mem_max} when running with CAP_NET_ADMIN).
   *
   * @throws IllegalArgumentException if {@code bytes} is not in 64 KiB..256 MiB
   */
  public UdpOptions withSocketBufferBytes(int bytes) {
    checkArgument(bytes >= (64 << 10) && bytes <= (256 << 20), "socket buffer out of range: %s", bytes);
    return new UdpOptions(queues, batchSize, bytes, offload);
  }

  /**
   * Returns options with TUN offloads on or off: the device is opened with {@code IFF_VNET_HDR}
   * and TSO/checksum offload, so the kernel hands over whole TCP super-packets (up to 64 KiB) in
   * one read, which the data path segments into MSS-sized IPv4 packets before encapsulation: the
   * wire format stays one plain IPv4 packet per datagram. {@code ip -d link} then shows
   * {@code vnet_hdr on}, unlike flanneld's device.
   */
  public UdpOptions withOffload(boolean on) {
    return new UdpOptions(queues, batchSize, socketBufferBytes, on);
  }

  /** Returns whether TUN offloads are used. */
  public boolean offload() {
    return offload;
  }

  /** Returns the number of queues. */
  public int queues() {
    return queues;
  }

  /** Returns the largest batch per system call. */
  public int batchSize() {
    return batchSize;
  }

  /** Returns the socket buffer size in bytes. */
  public int socketBufferBytes() {
    return socketBufferBytes;
  }

  @Override
  public String toString() {
    return "UdpOptions{queues=" + queues + ", batchSize=" + batchSize + ", socketBufferBytes=" + socketBufferBytes
        + ", offload=" + offload + "}";
  }
}
