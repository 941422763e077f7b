package io.overlaynet.wireguard.internal;

import java.time.Duration;

/**
 * The WireGuard protocol's names, limits and timers, named as in the WireGuard paper (J. A.
 * Donenfeld, "WireGuard: Next Generation Kernel Network Tunnel", NDSS 2017; draft revision e2da747
 * of 2020-06-01), §5.4 and the §6.1 table of constants, with the values wireguard-go uses
 * ({@code device/constants.go}, {@code device/noise-protocol.go}). Internal usage only.
 *
 * <p>Message counters are unsigned 64-bit numbers; in Java they are {@code long}s compared with
 * {@link Long#compareUnsigned}, so {@link #REJECT_AFTER_MESSAGES} is a negative {@code long}.
 *
 * <pre>{@code
 * boolean stale = System.nanoTime() - keypair.createdNanos() >= Protocol.REJECT_AFTER_TIME.toNanos();
 * }</pre>
 */
public final class Protocol {

  // The Noise construction, identifier and MAC labels are WgCrypto's (CONSTRUCTION, IDENTIFIER,
  // LABEL_MAC1, LABEL_COOKIE): one definition, next to the functions that use them.

  /**
   * After this many messages sent with a keypair, the sender starts a new handshake (paper §6.1:
   * 2^60).
   */
  public static final long REKEY_AFTER_MESSAGES = 1L << 60;

  /**
   * A keypair sends no message with a counter at or above this, and a receiver accepts none:
   * 2^64 - 2^13 - 1, unsigned (paper §6.1; wireguard-go since its commit "replay: account for
   * fqcodel reordering" of 2020-05, when its replay window grew from 2048 to 8192 bits — the older
   * value was 2^64 - 2^4 - 1; the kernel's is 2^64 - 8130, a hair higher). The gap to 2^64 keeps
   * the 64-bit nonce and the receiver's window arithmetic from wrapping.
   */
  public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;

  /**
   * The initiator of a keypair starts a new handshake when it sends with a keypair older than this
   * (paper §6.1, §6.2: 120 s).
   */
  public static final Duration REKEY_AFTER_TIME = Duration.ofSeconds(120);

  /** A keypair older than this sends and accepts nothing (paper §6.1: 180 s). */
  public static final Duration REJECT_AFTER_TIME = Duration.ofSeconds(180);

  /**
   * How long a peer keeps retrying a handshake for a packet it wants to send before it gives up
   * and drops what it queued (paper §6.1, §6.4: 90 s).
   */
  public static final Duration REKEY_ATTEMPT_TIME = Duration.ofSeconds(90);

  /**
   * The wait for a handshake response before the initiation is sent again, and the least time
   * between two initiations (paper §6.1, §6.4: 5 s).
   */
  public static final Duration REKEY_TIMEOUT = Duration.ofSeconds(5);

  /**
   * The upper bound of the random extra delay added to each retransmission and to the "no reply"
   * timer, so that peers do not retry in lock-step (paper §6.4 "some jitter"; wireguard-go
   * {@code RekeyTimeoutJitterMaxMs} 334 ms, the kernel a third of a second).
   */
  public static final Duration REKEY_TIMEOUT_JITTER_MAX = Duration.ofMillis(334);

  /**
   * How many retransmissions of an initiation fit in {@link #REKEY_ATTEMPT_TIME}:
   * {@code REKEY_ATTEMPT_TIME / REKEY_TIMEOUT} = 18 (wireguard-go {@code MaxTimerHandshakes}).
   */
  public static final int MAX_TIMER_HANDSHAKES =
      (int) (REKEY_ATTEMPT_TIME.toSeconds() / REKEY_TIMEOUT.toSeconds());

  /**
   * A peer that received an authenticated data packet and sent nothing back for this long sends a
   * keepalive; a peer that sent data and heard nothing for this plus {@link #REKEY_TIMEOUT}
   * starts a new handshake (paper §6.1, §6.5: 10 s).
   */
  public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * The initiator of the current keypair also rekeys when it <em>receives</em> with a keypair older
   * than this, {@code REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT} = 165 s, so that a peer
   * that only receives still gets a fresh keypair before the old one expires (paper §6.2;
   * wireguard-go {@code keepKeyFreshReceiving}).
   */
  public static final Duration REKEY_ON_RECEIVE_AFTER_TIME =
      REJECT_AFTER_TIME.minus(KEEPALIVE_TIMEOUT).minus(REKEY_TIMEOUT);

  /**
   * The lifetime of the responder's cookie secret and of a cookie received in a cookie reply
   * (paper §5.4.4 and §5.4.7: 120 s; wireguard-go {@code CookieRefreshTime}).
   */
  public static final Duration COOKIE_REFRESH_TIME = Duration.ofSeconds(120);

  /**
   * All key material of a peer (keypairs and a half-done handshake) is erased when no new keypair
   * was made for this long, {@code 3 * REJECT_AFTER_TIME} = 540 s (paper §6.3; wireguard-go
   * {@code timersSessionDerived}).
   */
  public static final Duration ZERO_KEY_MATERIAL_AFTER = REJECT_AFTER_TIME.multipliedBy(3);

  /**
   * A responder consumes at most one initiation per peer in this interval (1/50 s), against floods
   * of valid replayed-but-newer initiations (wireguard-go {@code HandshakeInitationRate}; the
   * kernel's {@code INITIATIONS_PER_SECOND} 50).
   */
  public static final Duration HANDSHAKE_INITIATION_RATE = Duration.ofMillis(20);

  /**
   * Once the handshake queue was found over-full, the device stays "under load" (asking for MAC2,
   * answering with cookie replies) for this long (an implementation constant: wireguard-go
   * {@code UnderLoadAfterTime}).
   */
  public static final Duration UNDER_LOAD_AFTER_TIME = Duration.ofSeconds(1);

  /** The plaintext of a data message is zero-padded to a multiple of this (paper §5.4.6: 16). */
  public static final int PADDING_MULTIPLE = 16;

  /**
   * The timers a {@link WgDevice} and its {@link Session}s run by. Always {@link #DEFAULT} (the
   * paper's values above) but in tests, which scale some down to see a rekey or a keepalive in
   * seconds rather than minutes:
   *
   * <pre>{@code
   * Protocol.Timers fast = Protocol.Timers.DEFAULT.withRekeyAfterTime(Duration.ofMillis(1500));
   * }</pre>
   *
   * @param rekeyAfterTime {@link #REKEY_AFTER_TIME}
   * @param rejectAfterTime {@link #REJECT_AFTER_TIME}
   * @param rekeyAttemptTime {@link #REKEY_ATTEMPT_TIME}
   * @param rekeyTimeout {@link #REKEY_TIMEOUT}
   * @param rekeyTimeoutJitterMax {@link #REKEY_TIMEOUT_JITTER_MAX}
   * @param keepaliveTimeout {@link #KEEPALIVE_TIMEOUT}
   */
  record Timers(Duration rekeyAfterTime, Duration rejectAfterTime, Duration rekeyAttemptTime, Duration rekeyTimeout,
      Duration rekeyTimeoutJitterMax, Duration keepaliveTimeout) {

    /** The paper's timers. */
    static final Timers DEFAULT = new Timers(REKEY_AFTER_TIME, REJECT_AFTER_TIME, REKEY_ATTEMPT_TIME, REKEY_TIMEOUT,
        REKEY_TIMEOUT_JITTER_MAX, KEEPALIVE_TIMEOUT);

    /** Checks that each is positive (the jitter at least 1 ms) and that a rekey comes before the rejection. */
    Timers {
      for (Duration d : new Duration[] {rekeyAfterTime, rejectAfterTime, rekeyAttemptTime, rekeyTimeout,
          keepaliveTimeout}) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("a timer must be positive: " + d);
        }
      }
      if (rekeyTimeoutJitterMax.toMillis() < 1) {
        throw new IllegalArgumentException("the jitter must be at least 1 ms: " + rekeyTimeoutJitterMax);
      }
      if (rekeyAfterTime.compareTo(rejectAfterTime) >= 0) {
        throw new IllegalArgumentException("REKEY_AFTER_TIME " + rekeyAfterTime + " must be under REJECT_AFTER_TIME "
            + rejectAfterTime);
      }
      if (rejectAfterTime.compareTo(keepaliveTimeout.plus(rekeyTimeout)) <= 0) {
        throw new IllegalArgumentException("REJECT_AFTER_TIME " + rejectAfterTime
            + " must be over KEEPALIVE_TIMEOUT + REKEY_TIMEOUT " + keepaliveTimeout.plus(rekeyTimeout));
      }
    }

    /** {@link #REKEY_ON_RECEIVE_AFTER_TIME} of these timers: REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT. */
    Duration rekeyOnReceiveAfterTime() {
      return rejectAfterTime.minus(keepaliveTimeout).minus(rekeyTimeout);
    }

    /** Returns these timers with {@code d} as REJECT_AFTER_TIME. */
    Timers withRejectAfterTime(Duration d) {
      return new Timers(rekeyAfterTime, d, rekeyAttemptTime, rekeyTimeout, rekeyTimeoutJitterMax, keepaliveTimeout);
    }

    /** Returns these timers with {@code d} as REKEY_AFTER_TIME. */
    Timers withRekeyAfterTime(Duration d) {
      return new Timers(d, rejectAfterTime, rekeyAttemptTime, rekeyTimeout, rekeyTimeoutJitterMax, keepaliveTimeout);
    }

    /** Returns these timers with {@code d} as REKEY_TIMEOUT. */
    Timers withRekeyTimeout(Duration d) {
      return new Timers(rekeyAfterTime, rejectAfterTime, rekeyAttemptTime, d, rekeyTimeoutJitterMax, keepaliveTimeout);
    }

    /** Returns these timers with {@code d} as KEEPALIVE_TIMEOUT. */
    Timers withKeepaliveTimeout(Duration d) {
      return new Timers(rekeyAfterTime, rejectAfterTime, rekeyAttemptTime, rekeyTimeout, rekeyTimeoutJitterMax, d);
    }
  }

  private Protocol() {}
}
