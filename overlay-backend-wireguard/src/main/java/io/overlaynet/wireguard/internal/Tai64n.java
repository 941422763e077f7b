package io.overlaynet.wireguard.internal;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * A 12-byte TAI64N timestamp, as a handshake initiation carries it (encrypted): the TAI64 label
 * of the second, big-endian, then the nanoseconds, big-endian. A responder accepts an initiation
 * only if its timestamp {@link #isAfter is after} the last one it accepted from that peer, so a
 * replayed initiation is refused.
 *
 * <pre>{@code
 * Tai64n.now(clock).writeTo(plain, 0);          // the initiator's 12 bytes
 * Tai64n t = Tai64n.read(plain, 0);             // the responder's view
 * if (!t.isAfter(peer.latestTimestamp)) drop();
 * }</pre>
 *
 * <p>The label is {@code 2^62 + 10 + unix seconds}, as libtai, the Linux kernel's WireGuard and
 * wireguard-go write it (TAI64's label of 1970-01-01 00:00:10 TAI; leap seconds are ignored).
 * Only the peer's own earlier timestamps are compared with it, so the base matters for one
 * thing: with {@code 2^62} alone, a node switching from kernel WireGuard or wireguard-go to this
 * implementation with the same key would have its initiations refused for 10 s by peers that
 * remember its last timestamp.
 *
 * <p>The nanoseconds are rounded down to a multiple of 2^24 ns (about 16.8 ms), as both
 * reference implementations do ({@code whitenerMask} in wireguard-go, {@code ALIGN_DOWN} in the
 * kernel's {@code tai64n_now}, "to prevent some sort of infoleak from precise timers"). Interop
 * does not depend on it (a responder compares a peer's timestamps only with each other), but it
 * keeps this host's clock resolution private at no cost: an initiator sends at most one
 * initiation per REKEY_TIMEOUT (5 s), far coarser than 16.8 ms. Immutable; internal:
 * package-private.
 */
final class Tai64n implements Comparable<Tai64n> {

  /** Bytes of a TAI64N timestamp. */
  static final int LEN = 12;
  /** The TAI64 label of the Unix epoch as WireGuard writes it: {@code 2^62 + 10}. */
  static final long EPOCH_LABEL = 0x400000000000000aL;
  /** The nanosecond bits cleared by {@link #of}: the low 24. */
  static final int WHITENER_MASK = 0x00ff_ffff;

  /** All zero bytes: before every real timestamp (a peer from which none was accepted yet). */
  static final Tai64n ZERO = new Tai64n(0, 0);

  /** The TAI64 label, unsigned. */
  private final long label;
  /** The nanoseconds as received, unsigned (a sender's value is below 10^9, not checked). */
  private final int nanos;

  private Tai64n(long label, int nanos) {
    this.label = label;
    this.nanos = nanos;
  }

  /** Returns the current time of {@code clock}, rounded down as {@link #of} does. */
  static Tai64n now(Clock clock) {
    return of(clock.instant());
  }

  /**
   * Returns the timestamp of {@code time} with its nanoseconds rounded down to a multiple of
   * 2^24, as wireguard-go's {@code tai64n.Now()} makes it.
   */
  static Tai64n of(Instant time) {
    return new Tai64n(EPOCH_LABEL + time.getEpochSecond(), time.getNano() & ~WHITENER_MASK);
  }

  /**
   * Reads the 12 bytes at {@code off}; any bytes are a timestamp (ordering is byte order).
   *
   * @throws IndexOutOfBoundsException if fewer than 12 bytes are there
   */
  static Tai64n read(byte[] b, int off) {
    Objects.checkFromIndexSize(off, LEN, b.length);
    long label = 0;
    for (int i = 0; i < 8; i++) {
      label = (label << 8) | (b[off + i] & 0xff);
    }
    int nanos = 0;
    for (int i = 8; i < LEN; i++) {
      nanos = (nanos << 8) | (b[off + i] & 0xff);
    }
    return new Tai64n(label, nanos);
  }

  /**
   * Writes the 12 bytes at {@code off}.
   *
   * @throws IndexOutOfBoundsException if 12 bytes do not fit
   */
  void writeTo(byte[] b, int off) {
    Objects.checkFromIndexSize(off, LEN, b.length);
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (label >>> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++) {
      b[off + 8 + i] = (byte) (nanos >>> (24 - 8 * i));
    }
  }

  /** Returns the 12 bytes. */
  byte[] toBytes() {
    byte[] b = new byte[LEN];
    writeTo(b, 0);
    return b;
  }

  /** Whether this is strictly later than {@code other}: the test a responder applies. */
  boolean isAfter(Tai64n other) {
    return compareTo(other) > 0;
  }

  /** Orders as the 12 bytes compare, unsigned, lexicographically (as wireguard-go does). */
  @Override
  public int compareTo(Tai64n other) {
    int c = Long.compareUnsigned(label, other.label);
    return c != 0 ? c : Integer.compareUnsigned(nanos, other.nanos);
  }

  /** The instant this stands for (for logs), assuming the label counts from {@link #EPOCH_LABEL}. */
  Instant toInstant() {
    return Instant.ofEpochSecond(label - EPOCH_LABEL, Integer.toUnsignedLong(nanos));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tai64n t && t.label == label && t.nanos == nanos;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(label) * 31 + nanos;
  }

  /** The 24 hex digits of the 12 bytes. */
  @Override
  public String toString() {
    return String.format("%016x%08x", label, nanos);
  }
}
