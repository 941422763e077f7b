package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Messages.COOKIE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_SENDER;
import static io.overlaynet.wireguard.internal.Messages.MAC_SIZE;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The sender's half of WireGuard's cookie mechanism (paper §5.4.4, §5.4.7; wireguard-go
 * {@code device/cookie.go} {@code CookieGenerator}), for one remote peer: it takes the cookie
 * from a cookie reply that peer sent us, and puts MAC2 into our next handshake messages to it
 * (initiations, or responses if we were the responder) while the cookie is fresh.
 *
 * <pre>{@code
 * CookieJar jar = new CookieJar(peer.publicKey(), System::nanoTime);
 * noise.initiate(peer.publicKey(), psk, index, Tai64n.now(), msg);   // writes MAC1
 * jar.writeMac2(msg, 0, msg.length);                                  // then MAC2, then send
 * ...
 * // a cookie reply whose receiver index is one of this peer's:
 * if (jar.consume(reply) != CookieJar.Outcome.ACCEPTED) { drops.increment(...); }
 * // no resend now: the next retransmission (REKEY_TIMEOUT later) carries MAC2 (paper §6.6)
 * }</pre>
 *
 * <p>A reply is accepted only for the last message we sent to the peer, once: it must name that
 * message's sender index and authenticate with {@code HASH(LABEL_COOKIE || peer's public key)}
 * and that message's MAC1 as additional data. After one reply is accepted, no other is until we
 * send again, so a replayed reply is refused (as the kernel's {@code have_sent_mac1}; wireguard-go
 * keeps accepting, which only refreshes the same cookie's age). A reply that does not
 * authenticate changes nothing, so a forger cannot cancel the real reply.
 *
 * <p>The cookie is used for {@link #COOKIE_LIFETIME}: {@link Protocol#COOKIE_REFRESH_TIME} less
 * {@link #COOKIE_LATENCY}, because the responder's secret (120 s) started ageing before it made
 * the cookie and ages further while our message travels; a MAC2 sent in the last seconds would
 * likely fail anyway. The kernel and the BSD and VPP ports do the same; wireguard-go uses the full
 * 120 s.
 *
 * <p>Thread-safe: the send path ({@link #writeMac2}) and receive threads ({@link #consume}) may
 * call at once; both take the jar's lock, which only handshake-rate events ever take. The cookie
 * never appears in {@link #toString()}, and is zeroed once expired. Time is {@code nanoTime}
 * (monotonic), injected for tests. Internal: package-private.
 */
final class CookieJar {

  /**
   * How much earlier than the responder's secret lifetime a cookie stops being used (the kernel's
   * {@code COOKIE_SECRET_LATENCY}, 5 s).
   */
  static final Duration COOKIE_LATENCY = Duration.ofSeconds(5);
  /** How long a received cookie is put into MAC2: 120 s - 5 s. */
  static final Duration COOKIE_LIFETIME = Protocol.COOKIE_REFRESH_TIME.minus(COOKIE_LATENCY);

  private static final long COOKIE_LIFETIME_NANOS = COOKIE_LIFETIME.toNanos();

  /** Why {@link #consume} took a cookie reply or not (one drop counter per refusal). */
  enum Outcome {
    /** The reply authenticated: its cookie goes into MAC2 from now on. */
    ACCEPTED,
    /**
     * We sent nothing that awaits a reply: no handshake message yet, or a reply to the last one
     * was already accepted (a replay).
     */
    NOTHING_PENDING,
    /** The reply names another sender index than our last message's. */
    WRONG_RECEIVER,
    /** The reply does not open with the peer's cookie key and our last MAC1: forged or stale. */
    NOT_AUTHENTIC
  }

  private final PublicKey remoteStatic;
  /** {@code HASH(LABEL_COOKIE || the peer's public key)}: opens the replies the peer sends. */
  private final byte[] cookieKey;
  private final LongSupplier nanoTime;

  // Guarded by this.
  private final byte[] lastMac1 = new byte[MAC_SIZE];
  private int lastSender;
  private boolean pending;
  private final byte[] cookie = new byte[COOKIE_SIZE];
  private long cookieBornNanos;
  private boolean hasCookie;

  /**
   * A jar for the peer whose static public key is {@code remoteStatic}.
   *
   * @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  CookieJar(PublicKey remoteStatic, LongSupplier nanoTime) {
    this.remoteStatic = Objects.requireNonNull(remoteStatic, "remoteStatic");
    this.cookieKey = WgCrypto.labelledKey(WgCrypto.LABEL_COOKIE, remoteStatic.bytes());
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Writes MAC2 of the handshake message in {@code buf[off, off + len)}, about to be sent to the
   * peer: {@code MAC(cookie, msg[0, mac2))} if the cookie is fresh, else 16 zero bytes. Call it
   * after MAC1 is written ({@link Noise} writes it) and after any other change to the message,
   * since MAC2 covers everything before it. Remembers the message's MAC1 and sender index, which
   * the reply to it must match.
   *
   * @throws IllegalArgumentException if the bytes are not a framed initiation or response
   */
  synchronized void writeMac2(byte[] buf, int off, int len) {
    MessageType type = CookieChecker.handshakeType(buf, off, len);
    int mac1 = off + type.mac1Offset();
    int mac2 = off + type.mac2Offset();
    System.arraycopy(buf, mac1, lastMac1, 0, MAC_SIZE);
    lastSender = Messages.getIntLE(ByteBuffer.wrap(buf), off + INITIATION_SENDER);
    pending = true;
    if (cookieFresh()) {
      WgCrypto.mac(cookie, buf, off, type.mac2Offset(), buf, mac2);
    } else {
      Arrays.fill(buf, mac2, mac2 + MAC_SIZE, (byte) 0);
    }
  }

  /**
   * Takes the cookie from {@code reply}, a cookie reply from the peer (found by its receiver
   * index), if it answers the last message {@link #writeMac2} saw; see {@link Outcome}.
   */
  synchronized Outcome consume(CookieReply reply) {
    if (!pending) {
      return Outcome.NOTHING_PENDING;
    }
    if (reply.receiver() != lastSender) {
      return Outcome.WRONG_RECEIVER;
    }
    byte[] encrypted = reply.encryptedCookie();
    byte[] opened = new byte[COOKIE_SIZE];
    if (!Aead.xopen(cookieKey, reply.nonce(), encrypted, 0, encrypted.length, lastMac1, opened, 0)) {
      return Outcome.NOT_AUTHENTIC;
    }
    System.arraycopy(opened, 0, cookie, 0, COOKIE_SIZE);
    Arrays.fill(opened, (byte) 0);
    cookieBornNanos = nanoTime.getAsLong();
    hasCookie = true;
    pending = false;
    return Outcome.ACCEPTED;
  }

  /** Returns whether the next handshake message will carry a MAC2 (a fresh cookie is held). */
  synchronized boolean hasFreshCookie() {
    return cookieFresh();
  }

  /** Names the peer and says whether a cookie is held and a reply awaited; never the cookie. */
  @Override
  public synchronized String toString() {
    return "CookieJar[" + remoteStatic + (hasCookie ? ", cookie" : ", no cookie")
        + (pending ? ", awaiting reply" : "") + "]";
  }

  /** Whether the cookie is younger than its lifetime; zeroes it once it is not. Holds the lock. */
  private boolean cookieFresh() {
    if (hasCookie && nanoTime.getAsLong() - cookieBornNanos >= COOKIE_LIFETIME_NANOS) {
      Arrays.fill(cookie, (byte) 0);
      hasCookie = false;
    }
    return hasCookie;
  }
}
