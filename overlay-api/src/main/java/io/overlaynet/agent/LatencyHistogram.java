package io.overlaynet.agent;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of a latency histogram with fixed bucket bounds, as Prometheus histograms have them.
 * Immutable.
 *
 * @param upperBounds the buckets' inclusive upper bounds, ascending; a last bucket with no bound
 *     (+Inf) follows them
 * @param counts how many observations fell in each bucket (not cumulative): one more than bounds
 * @param count the number of observations
 * @param sum the sum of the observations
 */
public record LatencyHistogram(List<Duration> upperBounds, List<Long> counts, long count, Duration sum) {

  /** Checks and copies the components. */
  public LatencyHistogram {
    upperBounds = List.copyOf(upperBounds);
    counts = List.copyOf(counts);
    if (counts.size() != upperBounds.size() + 1) {
      throw new IllegalArgumentException("a histogram of " + upperBounds.size() + " bounds needs "
          + (upperBounds.size() + 1) + " counts, not " + counts.size());
    }
    Objects.requireNonNull(sum, "sum");
  }

  /** Returns the number of observations at or below {@code upperBounds().get(i)}. */
  public long cumulativeCount(int i) {
    long n = 0;
    for (int b = 0; b <= i; b++) {
      n += counts.get(b);
    }
    return n;
  }
}
