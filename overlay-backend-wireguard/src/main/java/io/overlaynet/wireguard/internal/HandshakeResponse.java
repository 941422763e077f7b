package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Messages.KEY_SIZE;
import static io.overlaynet.wireguard.internal.Messages.MAC_SIZE;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_EMPTY;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_EPHEMERAL;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_MAC1;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_MAC2;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_RECEIVER;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_SENDER;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TAG_SIZE;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A handshake response (type 2, 92 bytes; paper §5.4.3), as an immutable value: the responder's
 * sender index, the initiator's index it answers, the responder's ephemeral public key, the
 * encrypted empty payload (a bare tag that proves the responder derived the same keys), MAC1 and
 * MAC2. Arrays are copied in and out; {@link #equals} is not constant-time (nothing here is
 * secret). Internal usage only.
 *
 * <pre>{@code
 * Parsed<HandshakeResponse> p = HandshakeResponse.parse(datagram, 0, len);
 * if (p.isAccepted()) {
 *   PendingHandshake h = byIndex.get(p.value().receiver());
 * }
 * }</pre>
 */
public final class HandshakeResponse {

  private final int sender;
  private final int receiver;
  private final byte[] ephemeral;
  private final byte[] encryptedNothing;
  private final byte[] mac1;
  private final byte[] mac2;

  private HandshakeResponse(int sender, int receiver, byte[] ephemeral, byte[] encryptedNothing, byte[] mac1,
      byte[] mac2) {
    this.sender = sender;
    this.receiver = receiver;
    this.ephemeral = ephemeral;
    this.encryptedNothing = encryptedNothing;
    this.mac1 = mac1;
    this.mac2 = mac2;
  }

  /**
   * Returns a response with these fields (copied).
   *
   * @param sender the responder's index for the new keypair
   * @param receiver the initiator's sender index from the initiation answered
   * @param ephemeral the responder's ephemeral public key, 32 bytes
   * @param encryptedNothing the encryption of the empty payload: its 16-byte tag
   * @param mac1 16 bytes
   * @param mac2 16 bytes (zero when the responder has no cookie)
   * @throws IllegalArgumentException if an array has the wrong length
   */
  public static HandshakeResponse of(int sender, int receiver, byte[] ephemeral, byte[] encryptedNothing, byte[] mac1,
      byte[] mac2) {
    return new HandshakeResponse(sender, receiver,
        Messages.field("ephemeral", ephemeral, KEY_SIZE),
        Messages.field("encryptedNothing", encryptedNothing, TAG_SIZE),
        Messages.field("mac1", mac1, MAC_SIZE),
        Messages.field("mac2", mac2, MAC_SIZE));
  }

  /**
   * Parses the {@code len} bytes at {@code off}, a received datagram; never throws for any content.
   *
   * @return the response, or why the bytes are not one ({@link Rejection#BAD_TYPE} for a
   *     well-formed message of another type)
   * @throws IndexOutOfBoundsException if the slice is not within the buffer's limit
   */
  public static Parsed<HandshakeResponse> parse(ByteBuffer b, int off, int len) {
    Rejection why = Messages.check(b, off, len);
    if (why != null) {
      return Parsed.rejected(why);
    }
    if (Messages.type(b, off) != MessageType.HANDSHAKE_RESPONSE) {
      return Parsed.rejected(Rejection.BAD_TYPE);
    }
    return Parsed.accepted(new HandshakeResponse(
        Messages.getIntLE(b, off + RESPONSE_SENDER),
        Messages.getIntLE(b, off + RESPONSE_RECEIVER),
        Messages.getBytes(b, off + RESPONSE_EPHEMERAL, KEY_SIZE),
        Messages.getBytes(b, off + RESPONSE_EMPTY, TAG_SIZE),
        Messages.getBytes(b, off + RESPONSE_MAC1, MAC_SIZE),
        Messages.getBytes(b, off + RESPONSE_MAC2, MAC_SIZE)));
  }

  /**
   * Writes the 92 bytes of this message at {@code off}; the handshake then computes MAC1 and MAC2
   * over the written bytes and puts them at {@code off + RESPONSE_MAC1} / {@code RESPONSE_MAC2}.
   *
   * @throws IndexOutOfBoundsException if they do not fit before the buffer's limit
   * @throws java.nio.ReadOnlyBufferException if the buffer is read-only
   */
  public void writeTo(ByteBuffer b, int off) {
    Objects.checkFromIndexSize(off, RESPONSE_SIZE, b.limit());
    Messages.putIntLE(b, off + Messages.TYPE, MessageType.HANDSHAKE_RESPONSE.code());
    Messages.putIntLE(b, off + RESPONSE_SENDER, sender);
    Messages.putIntLE(b, off + RESPONSE_RECEIVER, receiver);
    b.put(off + RESPONSE_EPHEMERAL, ephemeral);
    b.put(off + RESPONSE_EMPTY, encryptedNothing);
    b.put(off + RESPONSE_MAC1, mac1);
    b.put(off + RESPONSE_MAC2, mac2);
  }

  /** Returns the 92 bytes of this message. */
  public byte[] toBytes() {
    byte[] out = new byte[RESPONSE_SIZE];
    writeTo(ByteBuffer.wrap(out), 0);
    return out;
  }

  /** Returns the responder's sender index. */
  public int sender() {
    return sender;
  }

  /** Returns the receiver index: the initiator's sender index this response answers. */
  public int receiver() {
    return receiver;
  }

  /** Returns the responder's ephemeral public key (32 bytes, a copy). */
  public byte[] ephemeral() {
    return ephemeral.clone();
  }

  /** Returns the encrypted empty payload, a 16-byte tag (a copy). */
  public byte[] encryptedNothing() {
    return encryptedNothing.clone();
  }

  /** Returns MAC1 (16 bytes, a copy). */
  public byte[] mac1() {
    return mac1.clone();
  }

  /** Returns MAC2 (16 bytes, a copy). */
  public byte[] mac2() {
    return mac2.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HandshakeResponse m && sender == m.sender && receiver == m.receiver
        && Arrays.equals(ephemeral, m.ephemeral) && Arrays.equals(encryptedNothing, m.encryptedNothing)
        && Arrays.equals(mac1, m.mac1) && Arrays.equals(mac2, m.mac2);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * sender + receiver) + Arrays.hashCode(ephemeral);
  }

  /** Returns the two indices and the ephemeral key, in hex. */
  @Override
  public String toString() {
    return "HandshakeResponse[sender=" + Integer.toUnsignedString(sender) + ", receiver="
        + Integer.toUnsignedString(receiver) + ", ephemeral=" + HexFormat.of().formatHex(ephemeral) + "]";
  }
}
