package io.overlaynet.wireguard.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shared fixtures of the cookie tests: a fake monotonic clock, a {@link SecureRandom} that hands
 * out chosen bytes, and the values computed independently by Python
 * ({@code src/test/resources/io/overlaynet/wireguard/internal/cookie-vectors.py}).
 */
final class CookieVectors {

  static final HexFormat HEX = HexFormat.of();

  /** The checker's static public key: bytes 0x20..0x3f. */
  static final PublicKey RESPONDER = PublicKey.fromBytes(seq(0x20, 32));
  /** The checker's secret R: bytes 0x80..0x9f. */
  static final byte[] SECRET = seq(0x80, 32);
  /** The reply's nonce: bytes 0xc0..0xd7. */
  static final byte[] NONCE = seq(0xc0, 24);
  /** The initiation's source. */
  static final InetSocketAddress SOURCE = new InetSocketAddress(ip("192.0.2.1"), 51820);

  /** An initiation, sender 0x04030201, body (i * 7) & 0xff, MAC1 for RESPONDER, MAC2 with the cookie. */
  static final String MESSAGE = "010000000102030400070e151c232a31383f464d545b626970777e858c939aa1"
      + "a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc"
      + "e3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6ed827d7313cf83"
      + "bdbb6acacc54b752fedd7a000379b31d40512c30bc581506629f";
  /** MAC(SECRET, c0000201 || 6cca). */
  static final String COOKIE = "528e19105aa8044d77aababb0d494dd5";
  /** The cookie reply to MESSAGE from SOURCE, with NONCE. */
  static final String REPLY = "0300000001020304c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7"
      + "2eb9e02c11fcb8208f3844bf45c8372b7993e2830a252dc2eb9682df581009cc";

  private CookieVectors() {}

  static byte[] seq(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** The message with MAC2 zeroed: what Noise hands over, MAC1 written. */
  static byte[] messageWithoutMac2() {
    byte[] m = HEX.parseHex(MESSAGE);
    Arrays.fill(m, Messages.INITIATION_MAC2, Messages.INITIATION_SIZE, (byte) 0);
    return m;
  }

  /**
   * A monotonic clock that starts 60 s before {@code nanoTime} overflows, so every test crosses
   * the wrap and proves the code compares differences, not values.
   */
  static final class FakeClock {
    private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 60_000_000_000L);

    long nanos() {
      return now.get();
    }

    void advance(Duration d) {
      now.addAndGet(d.toNanos());
    }
  }

  /**
   * A SecureRandom that returns the queued arrays in order (each request must have the queued
   * length), then random bytes; counts the requests of each length.
   */
  @SuppressWarnings("serial")
  static final class ScriptedRandom extends SecureRandom {
    private final Deque<byte[]> script = new ArrayDeque<>();
    private final SecureRandom fallback = new SecureRandom();
    final AtomicInteger secrets = new AtomicInteger();

    ScriptedRandom then(byte[] next) {
      script.add(next.clone());
      return this;
    }

    @Override
    public synchronized void nextBytes(byte[] out) {
      if (out.length == 32) {
        secrets.incrementAndGet();
      }
      byte[] next = script.poll();
      if (next == null) {
        fallback.nextBytes(out);
        return;
      }
      if (next.length != out.length) {
        throw new AssertionError("asked for " + out.length + " bytes, scripted " + next.length);
      }
      System.arraycopy(next, 0, out, 0, out.length);
    }
  }
}
