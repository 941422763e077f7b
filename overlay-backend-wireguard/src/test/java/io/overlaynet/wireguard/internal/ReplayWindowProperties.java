package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

class ReplayWindowProperties {

  /**
   * The specification of the filter, with none of its tricks: every accepted counter remembered
   * in a set, the highest accepted, and the window rule.
   */
  private static final class Model {
    private final Set<Long> seen = new HashSet<>();
    private long highest;

    boolean accept(long c) {
      if (Long.compareUnsigned(c, Protocol.REJECT_AFTER_MESSAGES) >= 0) {
        return false;
      }
      if (Long.compareUnsigned(c, highest) > 0) {
        highest = c;
      } else if (Long.compareUnsigned(highest - c, ReplayWindow.WINDOW) > 0) {
        return false;
      }
      return seen.add(c);
    }
  }

  @Property(tries = 500)
  void agreesWithTheModel(@ForAll("bases") long base, @ForAll("offsets") List<Long> offsets) {
    ReplayWindow window = new ReplayWindow();
    Model model = new Model();
    for (long offset : offsets) {
      long c = base + offset;
      assertEquals(model.accept(c), window.accept(c), () -> "counter " + Long.toUnsignedString(c));
    }
    assertEquals(model.highest, window.highest());
  }

  /** Where a sequence starts: at 0, anywhere, around 2^63, just below the limit. */
  @Provide
  Arbitrary<Long> bases() {
    return Arbitraries.oneOf(
        Arbitraries.just(0L),
        Arbitraries.longs().between(0, 1L << 62),
        Arbitraries.longs().between(Long.MAX_VALUE - 20_000, Long.MAX_VALUE),
        Arbitraries.longs().between(Long.MIN_VALUE, Long.MIN_VALUE + 20_000),
        Arbitraries.longs().between(Protocol.REJECT_AFTER_MESSAGES - 40_000, Protocol.REJECT_AFTER_MESSAGES));
  }

  /**
   * Counters relative to the base: many close together (duplicates, reordering), some around the
   * window's edge from those, some a whole number of rings (8192 counters) on, which share ring
   * bits with earlier ones, and jumps past the whole ring.
   */
  @Provide
  Arbitrary<List<Long>> offsets() {
    int ring = ReplayWindow.BLOCKS * Long.SIZE;
    Arbitrary<Long> near = Arbitraries.longs().between(0, 200);
    Arbitrary<Long> offset = Arbitraries.frequencyOf(
        Tuple.of(6, near),
        Tuple.of(2, Arbitraries.longs().between(ReplayWindow.WINDOW - 3, ReplayWindow.WINDOW + 3)),
        Tuple.of(2, near.flatMap(n -> Arbitraries.integers().between(1, 4).map(k -> n + (long) k * ring))),
        Tuple.of(2, Arbitraries.longs().between(0, 3 * ReplayWindow.WINDOW)),
        Tuple.of(1, Arbitraries.longs().between(0, 40_000)));
    return offset.list().ofMinSize(1).ofMaxSize(400);
  }
}
