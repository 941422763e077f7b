package io.overlaynet.udp;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;

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

  /**
   * One queue, batches of up to 32 packets per system call, 4 MiB socket buffers, TUN offload
   * with UDP GSO and GRO where the kernel has them (each probed once, see {@link #withOffload}).
   */
  public static final UdpOptions DEFAULT = new UdpOptions(1, 32, 4 << 20, true, true, true, Duration.ofSeconds(10));

  private final int queues;
  private final int batchSize;
  private final int socketBufferBytes;
  private final boolean offload;
  private final boolean udpGso;
  private final boolean udpGro;
  private final Duration checkInterval;

  private UdpOptions(int queues, int batchSize, int socketBufferBytes, boolean offload, boolean udpGso,
      boolean udpGro, Duration checkInterval) {
    this.queues = queues;
    this.batchSize = batchSize;
    this.socketBufferBytes = socketBufferBytes;
    this.offload = offload;
    this.udpGso = udpGso;
    this.udpGro = udpGro;
    this.checkInterval = checkInterval;
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
    return toBuilder().withQueues(n).build();
  }

  /**
   * Returns options with at most {@code n} packets per {@code sendmmsg}/{@code recvmmsg}; 1 is
   * flanneld's one packet per system call.
   *
   * @throws IllegalArgumentException if {@code n} is not in 1..1024
   */
  public UdpOptions withBatchSize(int n) {
    return toBuilder().withBatchSize(n).build();
  }

  /**
   * Returns options with UDP send and receive buffers of {@code bytes} (forced past
   * {@code net.core.[rw]mem_max} when running with CAP_NET_ADMIN).
   *
   * @throws IllegalArgumentException if {@code bytes} is not in 64 KiB..256 MiB
   */
  public UdpOptions withSocketBufferBytes(int bytes) {
    return toBuilder().withSocketBufferBytes(bytes).build();
  }

  /**
   * Returns options with TUN offloads on (the default) or off. On, the device is opened with
   * {@code IFF_VNET_HDR} and TSO/checksum offload: the kernel hands over whole TCP super-packets
   * (up to 64 KiB) in one read, which the data path cuts into MSS-sized IPv4 packets before
   * encapsulation, and consecutive received TCP segments of one flow are written back into the
   * device as one super-packet. The wire format does not change: one plain IPv4 packet per
   * datagram. {@code ip -d link} shows {@code vnet_hdr on}, unlike flanneld's device. Off, the
   * device is flanneld's exact {@code IFF_TUN|IFF_NO_PI} and every packet costs a read or write.
   * If the kernel refuses the offload device, the backend falls back to that (and logs it).
   */
  public UdpOptions withOffload(boolean on) {
    return toBuilder().withOffload(on).build();
  }

  /**
   * Returns options with UDP GSO on send on (the default) or off: with offload, the packets cut
   * from one super-packet go to the peer in one {@code sendmsg} with {@code UDP_SEGMENT} = their
   * size, and the kernel (or the NIC) sends each as its own datagram, exactly as if sent one by
   * one. Used only if the kernel has it (Linux 4.18+); a send it refuses switches it off.
   */
  public UdpOptions withUdpGso(boolean on) {
    return toBuilder().withUdpGso(on).build();
  }

  /**
   * Returns options with {@code UDP_GRO} on receive on (the default) or off: with offload, one
   * receive may return many datagrams of one peer at once. Used only if the kernel has it
   * (Linux 5.0+). Coalescing TCP segments into TUN super-packets happens with or without it.
   */
  public UdpOptions withUdpGro(boolean on) {
    return toBuilder().withUdpGro(on).build();
  }

  /**
   * Returns options that check {@code flannel0} this often: a device deleted from outside is made
   * again (and the data path restarted on it) at once, through a netlink link watch; a lost address
   * or route, or a device set down, is restored within this interval. flanneld never checks.
   *
   * @throws IllegalArgumentException if shorter than 100 ms
   */
  public UdpOptions withCheckInterval(Duration interval) {
    return toBuilder().withCheckInterval(interval).build();
  }

  /** Returns how often {@code flannel0}, its address and its route are checked (default 10 s). */
  public Duration checkInterval() {
    return checkInterval;
  }

  /** Returns whether UDP GSO is wanted (effective only with offload and kernel support). */
  public boolean udpGso() {
    return udpGso;
  }

  /** Returns whether UDP GRO is wanted (effective only with offload and kernel support). */
  public boolean udpGro() {
    return udpGro;
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

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return DEFAULT.toBuilder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public String toString() {
    return "UdpOptions{queues=" + queues + ", batchSize=" + batchSize + ", socketBufferBytes=" + socketBufferBytes
        + ", offload=" + offload + ", udpGso=" + udpGso + ", udpGro=" + udpGro + ", checkInterval=" + checkInterval
        + "}";
  }

  /** Builds {@link UdpOptions}; its setters have the names of the options' copy methods. */
  public static final class Builder {
    private int queues;
    private int batchSize;
    private int socketBufferBytes;
    private boolean offload;
    private boolean udpGso;
    private boolean udpGro;
    private Duration checkInterval;

    private Builder(UdpOptions o) {
      this.queues = o.queues;
      this.batchSize = o.batchSize;
      this.socketBufferBytes = o.socketBufferBytes;
      this.offload = o.offload;
      this.udpGso = o.udpGso;
      this.udpGro = o.udpGro;
      this.checkInterval = o.checkInterval;
    }

    /** See {@link UdpOptions#withQueues}. */
    public Builder withQueues(int n) {
      checkArgument(n >= 1 && n <= 16, "queues must be in 1..16: %s", n);
      this.queues = n;
      return this;
    }

    /** See {@link UdpOptions#withBatchSize}. */
    public Builder withBatchSize(int n) {
      checkArgument(n >= 1 && n <= 1024, "batch size must be in 1..1024: %s", n);
      this.batchSize = n;
      return this;
    }

    /** See {@link UdpOptions#withSocketBufferBytes}. */
    public Builder withSocketBufferBytes(int bytes) {
      checkArgument(bytes >= (64 << 10) && bytes <= (256 << 20), "socket buffer out of range: %s", bytes);
      this.socketBufferBytes = bytes;
      return this;
    }

    /** See {@link UdpOptions#withOffload}. */
    public Builder withOffload(boolean on) {
      this.offload = on;
      return this;
    }

    /** See {@link UdpOptions#withUdpGso}. */
    public Builder withUdpGso(boolean on) {
      this.udpGso = on;
      return this;
    }

    /** See {@link UdpOptions#withUdpGro}. */
    public Builder withUdpGro(boolean on) {
      this.udpGro = on;
      return this;
    }

    /** See {@link UdpOptions#withCheckInterval}. */
    public Builder withCheckInterval(Duration interval) {
      checkArgument(interval.toMillis() >= 100, "check interval must be at least 100 ms: %s", interval);
      this.checkInterval = interval;
      return this;
    }

    /** Builds the options. */
    public UdpOptions build() {
      return new UdpOptions(queues, batchSize, socketBufferBytes, offload, udpGso, udpGro, checkInterval);
    }
  }
}
