package io.overlaynet.netlink;

import io.overlaynet.ip.Ip4;
import io.overlaynet.netlink.internal.MsgVec;
import io.overlaynet.netlink.internal.Native;
import java.nio.ByteBuffer;

/**
 * A reusable batch of IPv4 datagrams for {@link UdpSocket#send(UdpBatch, int, int)} and
 * {@link UdpSocket#receive(UdpBatch)}: one {@code sendmmsg} / {@code recvmmsg} moves many
 * datagrams, straight from and into one direct payload area that the batch owns, with no copy
 * and no allocation per datagram or per call. Allocate it once per I/O thread and reuse it.
 *
 * <p>The batch has a fixed number of slots; slot {@code i} is one datagram: a region of
 * {@link #payload()} ({@link #setPayload}), a peer (where it goes, or where it came from) and a
 * segment size (UDP GSO on send: the region is a train of datagrams of that size, cut by the
 * kernel; UDP GRO on receive: the kernel joined datagrams of that size). After a receive, a slot
 * also reports the datagram's length and whether it was truncated. The slot count and the
 * payload area never change; which slots a call uses is the caller's choice.
 *
 * <pre>{@code
 * UdpBatch out = UdpBatch.allocate(32, 32 * 2048);     // 32 slots of 2 KiB each
 * ByteBuffer p = out.payload();                        // fill slot 0 at offset 0
 * p.put(0, packet);
 * out.setPayload(0, 0, packet.length).setPeer(0, Ip4.parse("192.0.2.12"), 8285);
 * int sent = socket.send(out, 0, 1);                   // 0: the send buffer is full, wait for POLLOUT
 *
 * UdpBatch in = UdpBatch.allocate(32, 32 * 2048);      // receive into the 32 regions as allocated
 * int n = socket.receive(in);                          // 0: nothing queued, wait for POLLIN
 * for (int i = 0; i < n; i++) {
 *   handle(in.payload(), in.offset(i), in.receivedLength(i), in.peerAddress(i), in.peerPort(i));
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one thread uses a batch at a time. The batch never reads or moves the
 * position and limit of {@link #payload()}; they are the caller's. Needs 64-bit Linux.
 */
public final class UdpBatch {

  /** The most slots in one batch. */
  public static final int MAX_SLOTS = 1 << 16;

  private final MsgVec vec;
  private final ByteBuffer payload;
  private final long payloadAddress;
  private final int[] offset;
  private final int[] length;
  private final int[] peerAddress;
  private final int[] peerPort;
  private final int[] segmentSize;
  private final int[] received;
  private final boolean[] truncated;

  private UdpBatch(int slots, int payloadBytes) {
    vec = new MsgVec(slots);
    payload = ByteBuffer.allocateDirect(payloadBytes);
    payloadAddress = Native.address(payload);
    offset = new int[slots];
    length = new int[slots];
    peerAddress = new int[slots];
    peerPort = new int[slots];
    segmentSize = new int[slots];
    received = new int[slots];
    truncated = new boolean[slots];
    int each = payloadBytes / slots;
    for (int i = 0; i < slots; i++) {
      offset[i] = i * each;
      length[i] = each;
    }
  }

  /**
   * Allocates a batch of {@code slots} datagrams over a payload area of {@code payloadBytes},
   * which starts divided evenly: slot {@code i} covers {@code payloadBytes / slots} bytes from
   * {@code i * (payloadBytes / slots)}, ready to receive into. Peers start as 0.0.0.0:0, segment
   * sizes as 0.
   *
   * @throws IllegalArgumentException if {@code slots} is not in 1..{@value #MAX_SLOTS} or
   *     {@code payloadBytes} is negative
   * @throws UnsupportedOperationException if the native layer is unavailable or not 64-bit Linux
   */
  public static UdpBatch allocate(int slots, int payloadBytes) {
    if (slots < 1 || slots > MAX_SLOTS) {
      throw new IllegalArgumentException("slots must be in 1.." + MAX_SLOTS + ": " + slots);
    }
    if (payloadBytes < 0) {
      throw new IllegalArgumentException("payload size must not be negative: " + payloadBytes);
    }
    Native.libc(); // explains a missing binding before anything is allocated
    return new UdpBatch(slots, payloadBytes);
  }

  /** Returns the number of slots. */
  public int slots() {
    return offset.length;
  }

  /**
   * Returns the direct payload area that every slot's region lies in (the same buffer every
   * time). Read and write datagrams in it with absolute indexes, or set its position and limit to
   * hand a region to another call (e.g. a TUN read); the batch ignores both.
   */
  public ByteBuffer payload() {
    return payload;
  }

  /**
   * Sets slot {@code slot}'s region of the payload area: the datagram to send, or the room to
   * receive one into.
   *
   * @return this batch
   * @throws IllegalArgumentException if the slot is out of range or the region outside the payload area
   */
  public UdpBatch setPayload(int slot, int offset, int length) {
    checkSlot(slot);
    if (offset < 0 || length < 0 || offset > payload.capacity() - length) {
      throw new IllegalArgumentException("slot " + slot + ": region [" + offset + ", +" + length
          + ") outside the payload area of " + payload.capacity() + " bytes");
    }
    this.offset[slot] = offset;
    this.length[slot] = length;
    return this;
  }

  /**
   * Returns the offset of slot {@code slot}'s region in {@link #payload()}.
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public int offset(int slot) {
    checkSlot(slot);
    return offset[slot];
  }

  /**
   * Returns the length of slot {@code slot}'s region (see {@link #receivedLength} for what a
   * receive filled in).
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public int length(int slot) {
    checkSlot(slot);
    return length[slot];
  }

  /**
   * Sets where slot {@code slot}'s datagram goes.
   *
   * @return this batch
   * @throws IllegalArgumentException if the slot or the port (0..65535) is out of range
   */
  public UdpBatch setPeer(int slot, Ip4 address, int port) {
    checkSlot(slot);
    if (port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("slot " + slot + ": port out of range: " + port);
    }
    peerAddress[slot] = address.toInt();
    peerPort[slot] = port;
    return this;
  }

  /**
   * Returns slot {@code slot}'s peer address: as set, or the sender's after a receive.
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public Ip4 peerAddress(int slot) {
    return Ip4.of(peerAddressAsInt(slot));
  }

  /**
   * Returns {@link #peerAddress(int)} as {@link Ip4#toInt()}, without making an object (for
   * per-datagram code).
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public int peerAddressAsInt(int slot) {
    checkSlot(slot);
    return peerAddress[slot];
  }

  /**
   * Returns slot {@code slot}'s peer port: as set, or the sender's after a receive.
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public int peerPort(int slot) {
    checkSlot(slot);
    return peerPort[slot];
  }

  /**
   * Sets slot {@code slot}'s UDP GSO segment size for sending ({@code UDP_SEGMENT} cmsg): with
   * {@code bytes > 0} the region is sent as a train of datagrams of {@code bytes} each (the last
   * may be shorter), in one message; 0 sends the region as one datagram. Probe the kernel with
   * {@link UdpSocket#supportsGso()}; a route whose device cannot offload the checksum refuses the
   * message with {@code EIO}.
   *
   * @return this batch
   * @throws IllegalArgumentException if the slot or the size (0..65535) is out of range
   */
  public UdpBatch setSegmentSize(int slot, int bytes) {
    checkSlot(slot);
    if (bytes < 0 || bytes > 0xffff) {
      throw new IllegalArgumentException("slot " + slot + ": segment size out of range 0..65535: " + bytes);
    }
    segmentSize[slot] = bytes;
    return this;
  }

  /**
   * Returns slot {@code slot}'s segment size: as set for sending, or after a receive the
   * {@code UDP_GRO} size of the datagrams the kernel joined into this one (0: a single datagram;
   * see {@link UdpSocket#setGro}).
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public int segmentSize(int slot) {
    checkSlot(slot);
    return segmentSize[slot];
  }

  /**
   * Returns how many bytes the last receive put in slot {@code slot}'s region (from its offset).
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public int receivedLength(int slot) {
    checkSlot(slot);
    return received[slot];
  }

  /**
   * Returns whether the datagram the last receive put in slot {@code slot} was larger than the
   * region, which then holds only its first {@link #length(int)} bytes ({@code MSG_TRUNC}).
   *
   * @throws IllegalArgumentException if the slot is out of range
   */
  public boolean truncated(int slot) {
    checkSlot(slot);
    return truncated[slot];
  }

  /**
   * Checks that slots {@code from .. from+count-1} exist and {@code count >= 1}.
   *
   * @throws IllegalArgumentException if not
   */
  void checkRange(int from, int count) {
    if (count < 1 || from < 0 || from > slots() - count) {
      throw new IllegalArgumentException("slots " + from + " + " + count + " outside the batch of " + slots()
          + " (count must be at least 1)");
    }
  }

  /** Fills the native messages of the slots {@code from .. from+count-1} for sending. */
  void stageSend(int from, int count) {
    for (int i = from; i < from + count; i++) {
      vec.stageSend(i, payloadAddress + offset[i], length[i], peerAddress[i], peerPort[i], segmentSize[i]);
    }
  }

  /** Fills the native messages of the slots {@code from .. from+count-1} for receiving. */
  void stageReceive(int from, int count) {
    for (int i = from; i < from + count; i++) {
      vec.stageReceive(i, payloadAddress + offset[i], length[i]);
    }
  }

  /** Takes what the kernel reported for the {@code count} messages received from slot {@code from}. */
  void received(int from, int count) {
    for (int i = from; i < from + count; i++) {
      received[i] = vec.messageLength(i);
      truncated[i] = (vec.flags(i) & io.overlaynet.netlink.internal.NativeLayout.MSG_TRUNC) != 0;
      peerAddress[i] = vec.peerAddress(i);
      peerPort[i] = vec.peerPort(i);
      segmentSize[i] = vec.groSegmentSize(i);
    }
  }

  /** Returns the native messages. */
  MsgVec vec() {
    return vec;
  }

  /** Returns "a.b.c.d:port" of slot {@code slot}, for error messages. */
  String peerText(int slot) {
    return Ip4.of(peerAddress[slot]) + ":" + peerPort[slot];
  }

  private void checkSlot(int slot) {
    if (slot < 0 || slot >= offset.length) {
      throw new IllegalArgumentException("slot " + slot + " out of range 0.." + (offset.length - 1));
    }
  }

  @Override
  public String toString() {
    return "UdpBatch{" + slots() + " slots, " + payload.capacity() + " payload bytes}";
  }
}
