package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Messages.COOKIE_ENCRYPTED;
import static io.overlaynet.wireguard.internal.Messages.COOKIE_NONCE;
import static io.overlaynet.wireguard.internal.Messages.COOKIE_NONCE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.COOKIE_RECEIVER;
import static io.overlaynet.wireguard.internal.Messages.COOKIE_REPLY_SIZE;
import static io.overlaynet.wireguard.internal.Messages.COOKIE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TAG_SIZE;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A cookie reply (type 3, 64 bytes; paper §5.4.7), as an immutable value: the sender index of the
 * handshake message it answers, a random 24-byte nonce, and the cookie encrypted with
 * XChaCha20-Poly1305 (16 + 16 bytes; the additional data is the MAC1 of the message answered).
 * Arrays are copied in and out; {@link #equals} is not constant-time (nothing here is secret).
 * Internal usage only.
 *
 * <pre>{@code
 * Parsed<CookieReply> p = CookieReply.parse(datagram, 0, len);
 * if (p.isAccepted()) {
 *   Peer peer = byIndex.peerOf(p.value().receiver());
 * }
 * }</pre>
 */
public final class CookieReply {

  private final int receiver;
  private final byte[] nonce;
  private final byte[] encryptedCookie;

  private CookieReply(int receiver, byte[] nonce, byte[] encryptedCookie) {
    this.receiver = receiver;
    this.nonce = nonce;
    this.encryptedCookie = encryptedCookie;
  }

  /**
   * Returns a cookie reply with these fields (copied).
   *
   * @param receiver the sender index of the handshake message answered
   * @param nonce 24 random bytes
   * @param encryptedCookie the encrypted cookie, 16 + 16 bytes
   * @throws IllegalArgumentException if an array has the wrong length
   */
  public static CookieReply of(int receiver, byte[] nonce, byte[] encryptedCookie) {
    return new CookieReply(receiver,
        Messages.field("nonce", nonce, COOKIE_NONCE_SIZE),
        Messages.field("encryptedCookie", encryptedCookie, COOKIE_SIZE + TAG_SIZE));
  }

  /**
   * Parses the {@code len} bytes at {@code off}, a received datagram; never throws for any content.
   *
   * @return the cookie reply, or why the bytes are not one ({@link Rejection#BAD_TYPE} for a
   *     well-formed message of another type)
   * @throws IndexOutOfBoundsException if the slice is not within the buffer's limit
   */
  public static Parsed<CookieReply> parse(ByteBuffer b, int off, int len) {
    Rejection why = Messages.check(b, off, len);
    if (why != null) {
      return Parsed.rejected(why);
    }
    if (Messages.type(b, off) != MessageType.COOKIE_REPLY) {
      return Parsed.rejected(Rejection.BAD_TYPE);
    }
    return Parsed.accepted(new CookieReply(
        Messages.getIntLE(b, off + COOKIE_RECEIVER),
        Messages.getBytes(b, off + COOKIE_NONCE, COOKIE_NONCE_SIZE),
        Messages.getBytes(b, off + COOKIE_ENCRYPTED, COOKIE_SIZE + TAG_SIZE)));
  }

  /**
   * Writes the 64 bytes of this message at {@code off}.
   *
   * @throws IndexOutOfBoundsException if they do not fit before the buffer's limit
   * @throws java.nio.ReadOnlyBufferException if the buffer is read-only
   */
  public void writeTo(ByteBuffer b, int off) {
    Objects.checkFromIndexSize(off, COOKIE_REPLY_SIZE, b.limit());
    Messages.putIntLE(b, off + Messages.TYPE, MessageType.COOKIE_REPLY.code());
    Messages.putIntLE(b, off + COOKIE_RECEIVER, receiver);
    b.put(off + COOKIE_NONCE, nonce);
    b.put(off + COOKIE_ENCRYPTED, encryptedCookie);
  }

  /** Returns the 64 bytes of this message. */
  public byte[] toBytes() {
    byte[] out = new byte[COOKIE_REPLY_SIZE];
    writeTo(ByteBuffer.wrap(out), 0);
    return out;
  }

  /** Returns the receiver index: the sender index of the handshake message answered. */
  public int receiver() {
    return receiver;
  }

  /** Returns the 24-byte nonce (a copy). */
  public byte[] nonce() {
    return nonce.clone();
  }

  /** Returns the encrypted cookie, 32 bytes (a copy). */
  public byte[] encryptedCookie() {
    return encryptedCookie.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CookieReply m && receiver == m.receiver && Arrays.equals(nonce, m.nonce)
        && Arrays.equals(encryptedCookie, m.encryptedCookie);
  }

  @Override
  public int hashCode() {
    return 31 * receiver + Arrays.hashCode(nonce);
  }

  /** Returns the receiver index and the nonce, in hex. */
  @Override
  public String toString() {
    return "CookieReply[receiver=" + Integer.toUnsignedString(receiver) + ", nonce="
        + HexFormat.of().formatHex(nonce) + "]";
  }
}
