package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Messages.COOKIE_NONCE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.COOKIE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_SENDER;
import static io.overlaynet.wireguard.internal.Messages.MAC_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TAG_SIZE;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The responder's half of WireGuard's cookie mechanism (paper §5.3, §5.4.4, §5.4.7; wireguard-go
 * {@code device/cookie.go} {@code CookieChecker}), for the local static key: it checks the MACs of
 * every handshake message sent to us, and under load answers a message without a valid MAC2 with a
 * cookie reply instead of processing it.
 *
 * <pre>{@code
 * CookieChecker checker = new CookieChecker(localKey.publicKey(), random, System::nanoTime);
 * switch (checker.check(msg, 0, len, source, underLoad)) {
 *   case INVALID_MAC1 -> drops.increment(...);                        // not even for us
 *   case NEEDS_COOKIE -> send(checker.createReply(msg, 0, len, source).toBytes(), source);
 *   case VALID -> noise.consumeInitiation(msg);                       // not under load
 *   case VALID_WITH_COOKIE -> { if (rateLimiter.allow(source)) noise.consumeInitiation(msg); }
 * }
 * }</pre>
 *
 * <p>The cookie is {@code MAC(R, source)}: {@code R} a random 32-byte secret made when first
 * needed and replaced when a reply is due and it is older than
 * {@link Protocol#COOKIE_REFRESH_TIME} (so a cookie is never worth more than two minutes, and the
 * secret need not be kept anywhere), {@code source} the datagram's source address and port as
 * {@link #sourceBytes} encodes them. Only this class computes and checks cookies, so the encoding
 * is ours to choose; it is wireguard-go's.
 *
 * <p>Thread-safe and lock-free: several receive threads may check messages and make replies at
 * once. The secret is an immutable snapshot in an {@link AtomicReference}; a rotation is a
 * compare-and-set, so racing threads agree on one new secret. A replaced secret is not zeroed,
 * since another thread may still be computing a cookie with it; it only ever vouched for
 * addresses, for two minutes, and is unreachable after that. Neither the secret nor a cookie
 * appears in {@link #toString()}. Time is {@code nanoTime} (monotonic), injected for tests.
 * Internal: package-private.
 */
final class CookieChecker {

  /** What the receive path must do with a handshake message, by its MACs. */
  enum Verdict {
    /** MAC1 is wrong: the message is not for our key, or damaged. Drop it, without answering. */
    INVALID_MAC1,
    /** MAC1 is right and we are not under load: process the message. */
    VALID,
    /**
     * MAC1 and MAC2 are right, under load: the sender proved it receives at its source address.
     * Process the message if the per-source rate limit allows (paper §5.3).
     */
    VALID_WITH_COOKIE,
    /**
     * MAC1 is right but MAC2 is not, under load: do not process the message; answer with
     * {@link CookieChecker#createReply} (paper §5.4.7).
     */
    NEEDS_COOKIE
  }

  private static final long SECRET_LIFETIME_NANOS = Protocol.COOKIE_REFRESH_TIME.toNanos();

  /** A secret and when it was made; immutable once published. */
  private record Secret(byte[] bytes, long bornNanos) {
    @Override
    public String toString() {
      return "Secret[redacted]";
    }
  }

  private final PublicKey localStatic;
  /** {@code HASH(LABEL_MAC1 || our public key)}: the key of the MAC1 of messages to us. */
  private final byte[] mac1Key;
  /** {@code HASH(LABEL_COOKIE || our public key)}: the XAEAD key of the replies we send. */
  private final byte[] cookieKey;
  private final SecureRandom random;
  private final LongSupplier nanoTime;
  private final AtomicReference<Secret> secret = new AtomicReference<>();

  /**
   * A checker for messages sent to {@code localStatic}.
   *
   * @param random for the secret and the replies' nonces
   * @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  CookieChecker(PublicKey localStatic, SecureRandom random, LongSupplier nanoTime) {
    this.localStatic = Objects.requireNonNull(localStatic, "localStatic");
    // The one derivation of both keys, shared with Noise (which MACs messages to peers with it).
    this.mac1Key = WgCrypto.labelledKey(WgCrypto.LABEL_MAC1, localStatic.bytes());
    this.cookieKey = WgCrypto.labelledKey(WgCrypto.LABEL_COOKIE, localStatic.bytes());
    this.random = Objects.requireNonNull(random, "random");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Judges the handshake message (initiation or response) in {@code buf[off, off + len)},
   * received from {@code source}: MAC1 always, MAC2 only if {@code underLoad}. Both comparisons
   * are constant-time. Changes no state.
   *
   * @throws IllegalArgumentException if the bytes are not a framed initiation or response (check
   *     them with {@link Messages#check} first), or {@code source} is unresolved
   */
  Verdict check(byte[] buf, int off, int len, InetSocketAddress source, boolean underLoad) {
    MessageType type = handshakeType(buf, off, len);
    if (!mac1Valid(buf, off, type)) {
      return Verdict.INVALID_MAC1;
    }
    if (!underLoad) {
      return Verdict.VALID;
    }
    return mac2Valid(buf, off, type, source) ? Verdict.VALID_WITH_COOKIE : Verdict.NEEDS_COOKIE;
  }

  /**
   * Returns whether the MAC1 of the handshake message in {@code buf[off, off + len)} is
   * {@code MAC(HASH(LABEL_MAC1 || our public key), msg[0, mac1))}, in constant time.
   *
   * @throws IllegalArgumentException if the bytes are not a framed initiation or response
   */
  boolean mac1Valid(byte[] buf, int off, int len) {
    return mac1Valid(buf, off, handshakeType(buf, off, len));
  }

  /**
   * Returns whether the MAC2 of the handshake message in {@code buf[off, off + len)} is
   * {@code MAC(cookie, msg[0, mac2))} for the cookie of {@code source} under the current secret,
   * in constant time; false if there is no secret younger than
   * {@link Protocol#COOKIE_REFRESH_TIME}. MAC1 is not checked here.
   *
   * @throws IllegalArgumentException if the bytes are not a framed initiation or response, or
   *     {@code source} is unresolved
   */
  boolean mac2Valid(byte[] buf, int off, int len, InetSocketAddress source) {
    return mac2Valid(buf, off, handshakeType(buf, off, len), source);
  }

  /**
   * Makes the cookie reply to the handshake message in {@code buf[off, off + len)} from
   * {@code source} (call it for {@link Verdict#NEEDS_COOKIE}, i.e. after MAC1 was found valid):
   * receiver = the message's sender index, a random nonce, and
   * {@code XAEAD(HASH(LABEL_COOKIE || our public key), nonce, cookie, msg.mac1)}. Binding the
   * reply to MAC1 means only whoever sent that message can open it. Rotates the secret first if it
   * is missing or older than {@link Protocol#COOKIE_REFRESH_TIME}.
   *
   * @throws IllegalArgumentException if the bytes are not a framed initiation or response, or
   *     {@code source} is unresolved
   */
  CookieReply createReply(byte[] buf, int off, int len, InetSocketAddress source) {
    MessageType type = handshakeType(buf, off, len);
    byte[] src = sourceBytes(source);
    byte[] cookie = new byte[COOKIE_SIZE];
    WgCrypto.mac(currentSecret(true).bytes(), src, 0, src.length, cookie, 0);
    byte[] nonce = new byte[COOKIE_NONCE_SIZE];
    random.nextBytes(nonce);
    byte[] mac1 = Arrays.copyOfRange(buf, off + type.mac1Offset(), off + type.mac2Offset());
    byte[] encrypted = new byte[COOKIE_SIZE + TAG_SIZE];
    Aead.xseal(cookieKey, nonce, cookie, 0, COOKIE_SIZE, mac1, encrypted, 0);
    Arrays.fill(cookie, (byte) 0);
    // Both handshake messages have their sender index at offset 4.
    int sender = Messages.getIntLE(ByteBuffer.wrap(buf), off + INITIATION_SENDER);
    return CookieReply.of(sender, nonce, encrypted);
  }

  /**
   * The cookie's input for a source: the address's bytes (4 for IPv4, 16 for IPv6, without a
   * scope), then the port as 2 bytes little-endian. That is what wireguard-go hashes
   * ({@code Endpoint.DstToBytes}: {@code netip.AddrPort.MarshalBinary}, "the port in
   * little-endian"; before netip it appended {@code port & 0xff, port >> 8} by hand). The Linux
   * kernel hashes the port in network order instead; either is right, since only the responder
   * ever computes its cookies.
   *
   * @throws IllegalArgumentException if {@code source} is unresolved
   */
  static byte[] sourceBytes(InetSocketAddress source) {
    InetAddress address = Objects.requireNonNull(source, "source").getAddress();
    if (address == null) {
      throw new IllegalArgumentException("an unresolved source address: " + source);
    }
    byte[] ip = address.getAddress();
    byte[] out = Arrays.copyOf(ip, ip.length + 2);
    int port = source.getPort();
    out[ip.length] = (byte) port;
    out[ip.length + 1] = (byte) (port >>> 8);
    return out;
  }

  /** Names the key whose messages this checks; never the secret. */
  @Override
  public String toString() {
    return "CookieChecker[" + localStatic + "]";
  }

  // ------------------------------------------------------------------ internals

  private boolean mac1Valid(byte[] buf, int off, MessageType type) {
    int mac1 = off + type.mac1Offset();
    byte[] expected = new byte[MAC_SIZE];
    WgCrypto.mac(mac1Key, buf, off, type.mac1Offset(), expected, 0);
    return WgCrypto.constantTimeEquals(expected, 0, buf, mac1, MAC_SIZE);
  }

  private boolean mac2Valid(byte[] buf, int off, MessageType type, InetSocketAddress source) {
    byte[] src = sourceBytes(source);
    Secret s = currentSecret(false);
    if (s == null) {
      return false;
    }
    byte[] cookie = new byte[COOKIE_SIZE];
    WgCrypto.mac(s.bytes(), src, 0, src.length, cookie, 0);
    byte[] expected = new byte[MAC_SIZE];
    WgCrypto.mac(cookie, buf, off, type.mac2Offset(), expected, 0);
    Arrays.fill(cookie, (byte) 0);
    return WgCrypto.constantTimeEquals(expected, 0, buf, off + type.mac2Offset(), MAC_SIZE);
  }

  /**
   * The secret younger than the refresh time; if there is none, null, or (if {@code rotate}) a
   * new one. Checking never rotates (as wireguard-go): a MAC2 can only be right under a secret
   * that some reply already used.
   */
  private Secret currentSecret(boolean rotate) {
    long now = nanoTime.getAsLong();
    Secret s = secret.get();
    while (s == null || now - s.bornNanos() >= SECRET_LIFETIME_NANOS) {
      if (!rotate) {
        return null;
      }
      byte[] fresh = new byte[WgCrypto.HASH_LEN];
      random.nextBytes(fresh);
      Secret next = new Secret(fresh, now);
      if (secret.compareAndSet(s, next)) {
        return next;
      }
      s = secret.get(); // another thread rotated first: use its secret, if young enough
    }
    return s;
  }

  /** The type of a framed initiation or response, or an IllegalArgumentException. */
  static MessageType handshakeType(byte[] buf, int off, int len) {
    Objects.checkFromIndexSize(off, len, buf.length);
    MessageType type = len < 4 ? null : Messages.type(ByteBuffer.wrap(buf), off);
    if (type == null || !type.hasMacs() || len != type.minSize()) {
      throw new IllegalArgumentException("not a framed handshake initiation or response: type "
          + type + ", " + len + " bytes");
    }
    return type;
  }
}
