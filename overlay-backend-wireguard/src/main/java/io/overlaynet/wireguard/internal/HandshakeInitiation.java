package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Messages.INITIATION_EPHEMERAL;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_MAC1;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_MAC2;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_SENDER;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_SIZE;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_STATIC;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_TIMESTAMP;
import static io.overlaynet.wireguard.internal.Messages.KEY_SIZE;
import static io.overlaynet.wireguard.internal.Messages.MAC_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TAG_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TIMESTAMP_SIZE;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A handshake initiation (type 1, 148 bytes; paper §5.4.2), as an immutable value: the
 * initiator's sender index, its ephemeral public key, its static public key and a TAI64N timestamp
 * (each encrypted, with its tag), MAC1 and MAC2. Arrays are copied in and out. Internal usage only.
 *
 * <p>Nothing here is secret (every field is on the wire), so {@link #equals} is not constant-time;
 * the handshake compares MACs with {@link java.security.MessageDigest#isEqual}, on the received
 * bytes, before parsing.
 *
 * <pre>{@code
 * Parsed<HandshakeInitiation> p = HandshakeInitiation.parse(datagram, 0, len);
 * if (p.isAccepted()) {
 *   int theirIndex = p.value().sender();
 * }
 * }</pre>
 */
public final class HandshakeInitiation {

  private final int sender;
  private final byte[] ephemeral;
  private final byte[] encryptedStatic;
  private final byte[] encryptedTimestamp;
  private final byte[] mac1;
  private final byte[] mac2;

  private HandshakeInitiation(int sender, byte[] ephemeral, byte[] encryptedStatic, byte[] encryptedTimestamp,
      byte[] mac1, byte[] mac2) {
    this.sender = sender;
    this.ephemeral = ephemeral;
    this.encryptedStatic = encryptedStatic;
    this.encryptedTimestamp = encryptedTimestamp;
    this.mac1 = mac1;
    this.mac2 = mac2;
  }

  /**
   * Returns an initiation with these fields (copied).
   *
   * @param sender the initiator's index for this handshake (any 32 bits)
   * @param ephemeral the ephemeral public key, 32 bytes
   * @param encryptedStatic the encrypted static public key, 32 + 16 bytes
   * @param encryptedTimestamp the encrypted TAI64N timestamp, 12 + 16 bytes
   * @param mac1 16 bytes
   * @param mac2 16 bytes (zero when the initiator has no cookie)
   * @throws IllegalArgumentException if an array has the wrong length
   */
  public static HandshakeInitiation of(int sender, byte[] ephemeral, byte[] encryptedStatic, byte[] encryptedTimestamp,
      byte[] mac1, byte[] mac2) {
    return new HandshakeInitiation(sender,
        Messages.field("ephemeral", ephemeral, KEY_SIZE),
        Messages.field("encryptedStatic", encryptedStatic, KEY_SIZE + TAG_SIZE),
        Messages.field("encryptedTimestamp", encryptedTimestamp, TIMESTAMP_SIZE + TAG_SIZE),
        Messages.field("mac1", mac1, MAC_SIZE),
        Messages.field("mac2", mac2, MAC_SIZE));
  }

  /**
   * Parses the {@code len} bytes at {@code off}, a received datagram; never throws for any content.
   *
   * @return the initiation, or why the bytes are not one ({@link Rejection#BAD_TYPE} for a
   *     well-formed message of another type)
   * @throws IndexOutOfBoundsException if the slice is not within the buffer's limit
   */
  public static Parsed<HandshakeInitiation> parse(ByteBuffer b, int off, int len) {
    Rejection why = Messages.check(b, off, len);
    if (why != null) {
      return Parsed.rejected(why);
    }
    if (Messages.type(b, off) != MessageType.HANDSHAKE_INITIATION) {
      return Parsed.rejected(Rejection.BAD_TYPE);
    }
    return Parsed.accepted(new HandshakeInitiation(
        Messages.getIntLE(b, off + INITIATION_SENDER),
        Messages.getBytes(b, off + INITIATION_EPHEMERAL, KEY_SIZE),
        Messages.getBytes(b, off + INITIATION_STATIC, KEY_SIZE + TAG_SIZE),
        Messages.getBytes(b, off + INITIATION_TIMESTAMP, TIMESTAMP_SIZE + TAG_SIZE),
        Messages.getBytes(b, off + INITIATION_MAC1, MAC_SIZE),
        Messages.getBytes(b, off + INITIATION_MAC2, MAC_SIZE)));
  }

  /**
   * Writes the 148 bytes of this message at {@code off}; the handshake then computes MAC1 and MAC2
   * over the written bytes and puts them at {@code off + INITIATION_MAC1} / {@code INITIATION_MAC2}.
   *
   * @throws IndexOutOfBoundsException if they do not fit before the buffer's limit
   * @throws java.nio.ReadOnlyBufferException if the buffer is read-only
   */
  public void writeTo(ByteBuffer b, int off) {
    Objects.checkFromIndexSize(off, INITIATION_SIZE, b.limit());
    Messages.putIntLE(b, off + Messages.TYPE, MessageType.HANDSHAKE_INITIATION.code());
    Messages.putIntLE(b, off + INITIATION_SENDER, sender);
    b.put(off + INITIATION_EPHEMERAL, ephemeral);
    b.put(off + INITIATION_STATIC, encryptedStatic);
    b.put(off + INITIATION_TIMESTAMP, encryptedTimestamp);
    b.put(off + INITIATION_MAC1, mac1);
    b.put(off + INITIATION_MAC2, mac2);
  }

  /** Returns the 148 bytes of this message. */
  public byte[] toBytes() {
    byte[] out = new byte[INITIATION_SIZE];
    writeTo(ByteBuffer.wrap(out), 0);
    return out;
  }

  /** Returns the initiator's sender index (the receiver index of the response). */
  public int sender() {
    return sender;
  }

  /** Returns the initiator's ephemeral public key (32 bytes, a copy). */
  public byte[] ephemeral() {
    return ephemeral.clone();
  }

  /** Returns the encrypted static public key of the initiator (48 bytes, a copy). */
  public byte[] encryptedStatic() {
    return encryptedStatic.clone();
  }

  /** Returns the encrypted TAI64N timestamp (28 bytes, a copy). */
  public byte[] encryptedTimestamp() {
    return encryptedTimestamp.clone();
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
    return o instanceof HandshakeInitiation m && sender == m.sender && Arrays.equals(ephemeral, m.ephemeral)
        && Arrays.equals(encryptedStatic, m.encryptedStatic) && Arrays.equals(encryptedTimestamp, m.encryptedTimestamp)
        && Arrays.equals(mac1, m.mac1) && Arrays.equals(mac2, m.mac2);
  }

  @Override
  public int hashCode() {
    return 31 * sender + Arrays.hashCode(ephemeral);
  }

  /** Returns the sender index and the ephemeral key, in hex; enough to tell handshakes apart. */
  @Override
  public String toString() {
    return "HandshakeInitiation[sender=" + Integer.toUnsignedString(sender) + ", ephemeral="
        + HexFormat.of().formatHex(ephemeral) + "]";
  }
}
