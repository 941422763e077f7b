package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** TAI64N encoding as wireguard-go's {@code tai64n} package writes it, and its ordering. */
class Tai64nTest {

  static final HexFormat HEX = HexFormat.of();

  @Test
  void encodesAsWireGuardGo() {
    // '%016x%08x' % (0x400000000000000a + 1700000000, 123456789 & ~0xffffff) in Python: the
    // label is 2^62 + 10 + unix seconds; the nanoseconds lose their low 24 bits.
    Tai64n t = Tai64n.of(Instant.ofEpochSecond(1_700_000_000L, 123_456_789));
    assertEquals("400000006553f10a07000000", HEX.formatHex(t.toBytes()));
    assertEquals("400000006553f10a07000000", t.toString());
    assertEquals("400000000000000a00000000",
        HEX.formatHex(Tai64n.now(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).toBytes()));
  }

  @Test
  void whitensWithinSixteenMilliseconds() {
    // As wireguard-go's TestMonotonic: the last nanosecond of a 2^24 ns window equals its
    // start; one nanosecond more is after it.
    Instant start = Instant.ofEpochSecond(1_700_000_000L, 3L << 24);
    Tai64n a = Tai64n.of(start);
    Tai64n same = Tai64n.of(start.plusNanos((1 << 24) - 1));
    Tai64n next = Tai64n.of(start.plusNanos(1 << 24));
    assertEquals(a, same);
    assertFalse(same.isAfter(a));
    assertTrue(next.isAfter(a));
    assertEquals(start, a.toInstant());
  }

  @Test
  void ordersAsUnsignedBytes() {
    Tai64n low = Tai64n.read(HEX.parseHex("400000006553f10a7f000000"), 0);
    Tai64n highNanos = Tai64n.read(HEX.parseHex("400000006553f10a80000000"), 0);
    Tai64n nextSecond = Tai64n.read(HEX.parseHex("400000006553f10b00000000"), 0);
    Tai64n topBit = Tai64n.read(HEX.parseHex("800000000000000000000000"), 0);
    assertTrue(highNanos.isAfter(low), "nanoseconds compare unsigned");
    assertTrue(nextSecond.isAfter(highNanos), "the second counts before the nanoseconds");
    assertTrue(topBit.isAfter(nextSecond), "labels compare unsigned");
    assertTrue(low.isAfter(Tai64n.ZERO));
    assertFalse(low.isAfter(low), "equal is not after: a replay is refused");
    assertEquals(0, low.compareTo(Tai64n.read(low.toBytes(), 0)));
  }

  @Test
  void readsAndWritesAtOffsets() {
    byte[] buf = new byte[20];
    Tai64n t = Tai64n.of(Instant.parse("2026-12-01T10:00:00.5Z"));
    t.writeTo(buf, 5);
    assertEquals(t, Tai64n.read(buf, 5));
    assertArrayEquals(t.toBytes(), Arrays.copyOfRange(buf, 5, 17));
    assertThrows(IndexOutOfBoundsException.class, () -> Tai64n.read(buf, 9));
    assertThrows(IndexOutOfBoundsException.class, () -> t.writeTo(buf, 9));
  }
}
