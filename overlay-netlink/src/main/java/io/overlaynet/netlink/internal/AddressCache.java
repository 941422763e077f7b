package io.overlaynet.netlink.internal;

import java.nio.ByteBuffer;

/**
 * Remembers the native address of the last direct buffer passed: looking it up costs a JNI call
 * (~40 ns, about what jnr-ffi spends marshalling a {@code ByteBuffer} argument), and an I/O loop
 * passes the same buffer, or a view made once, call after call. Safe for concurrent use: the
 * buffer and its address are published together as one immutable entry (holding the buffer
 * keeps its memory, and so the address, valid). Internal usage only.
 */
public final class AddressCache {

  private record Entry(ByteBuffer buffer, long address) {}

  private Entry last = new Entry(null, 0);

  /** Returns the native address of {@code direct}'s index 0 (not its position). */
  public long address(ByteBuffer direct) {
    Entry e = last;
    if (e.buffer() != direct) {
      e = new Entry(direct, Native.address(direct));
      last = e;
    }
    return e.address();
  }
}
