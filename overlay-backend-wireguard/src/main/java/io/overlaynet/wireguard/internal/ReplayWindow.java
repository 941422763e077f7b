package io.overlaynet.wireguard.internal;

/**
 * The anti-replay filter of one receiving keypair: accepts each message counter at most once,
 * tolerates reordering within a window of {@value #WINDOW} counters behind the highest accepted,
 * and rejects anything older and anything at or above {@link Protocol#REJECT_AFTER_MESSAGES}.
 * Internal usage only.
 *
 * <p>The algorithm is RFC 6479's, as WireGuard uses it (wireguard-go {@code replay/replay.go},
 * the kernel's {@code counter_validate}): a ring of {@value #BLOCKS} 64-bit words holds one bit
 * per counter; moving the window forward clears whole words instead of shifting bits, so a
 * check costs O(1) except when the window jumps, which clears at most the whole ring. One word
 * of the ring is always the one being filled, so the window proper is
 * {@code (BLOCKS - 1) * 64} = {@value #WINDOW} counters: counter {@code c} is still accepted once
 * when {@code highest - c <= WINDOW}. These are wireguard-go's numbers since 2020 (8192 bits,
 * grown from 2048 to absorb fq_codel reordering); the kernel's window is the same.
 *
 * <p>Call {@link #accept} only for a message that decrypted and authenticated: the counter is
 * sent in clear, and accepting a forged one would move the window and make a peer drop its real
 * traffic.
 *
 * <p><b>Thread safety.</b> Safe for concurrent use: {@link #accept} runs under the window's lock.
 * The receive path may decrypt one peer's messages on several threads (one per socket or queue),
 * and a check-and-set raced by two threads could accept the same counter twice, or lose bits when
 * the ring is cleared, which would let a replay through. The critical section is a few
 * arithmetic operations and a word store (a ring clear at most 128 stores), so an uncontended
 * lock costs one CAS per message; a data path that already serializes a peer's receives pays
 * only that.
 *
 * <pre>{@code
 * if (!keypair.replayWindow().accept(counter)) {
 *   drops.increment(DropReason.REPLAYED);
 *   continue;
 * }
 * }</pre>
 */
public final class ReplayWindow {

  /** Words in the ring (a power of two). */
  static final int BLOCKS = 128;
  /** How far behind the highest accepted counter a counter is still accepted once: 8128. */
  public static final int WINDOW = (BLOCKS - 1) * Long.SIZE;

  private static final int BLOCK_SHIFT = 6; // log2(Long.SIZE)
  private static final int BLOCK_MASK = BLOCKS - 1;
  private static final int BIT_MASK = Long.SIZE - 1;

  private final Object lock = new Object();
  private final long[] ring = new long[BLOCKS];
  // The highest counter accepted so far (unsigned); 0 before any, which is consistent: counter 0
  // is then "not above" it, within the window, and its bit is clear, so it is accepted once.
  private long highest;

  /** Returns an empty window, for a new keypair. */
  public ReplayWindow() {}

  /**
   * Records {@code counter} (unsigned) of an authenticated message and returns whether it is new:
   * below {@link Protocol#REJECT_AFTER_MESSAGES}, not accepted before, and not more than
   * {@value #WINDOW} behind the highest counter accepted.
   */
  public boolean accept(long counter) {
    if (Long.compareUnsigned(counter, Protocol.REJECT_AFTER_MESSAGES) >= 0) {
      return false;
    }
    // Below the limit a counter's block index (counter >>> 6) is < 2^58, so the block arithmetic
    // below cannot overflow a signed long.
    long block = counter >>> BLOCK_SHIFT;
    synchronized (lock) {
      if (Long.compareUnsigned(counter, highest) > 0) {
        long current = highest >>> BLOCK_SHIFT;
        // Clear the words of the blocks the window moves into (the counters there are all new);
        // a jump of a whole ring or more clears it all.
        long advance = Math.min(block - current, BLOCKS);
        for (long i = 1; i <= advance; i++) {
          ring[(int) ((current + i) & BLOCK_MASK)] = 0;
        }
        highest = counter;
      } else if (Long.compareUnsigned(highest - counter, WINDOW) > 0) {
        return false; // behind the window: its bit may already stand for a newer counter
      }
      int index = (int) (block & BLOCK_MASK);
      long bit = 1L << (counter & BIT_MASK);
      long word = ring[index];
      ring[index] = word | bit;
      return (word & bit) == 0;
    }
  }

  /** Returns the highest counter accepted so far (unsigned), 0 if none. */
  public long highest() {
    synchronized (lock) {
      return highest;
    }
  }

  @Override
  public String toString() {
    return "ReplayWindow[highest=" + Long.toUnsignedString(highest()) + "]";
  }
}
