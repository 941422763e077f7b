package io.overlaynet.wireguard.internal;

/**
 * The four WireGuard messages (paper §5.4.2-§5.4.7), with their type codes and sizes. On the wire
 * the type is one byte followed by three zero bytes; implementations read the four as one
 * little-endian 32-bit word (wireguard-go {@code device/receive.go}, the kernel's
 * {@code SKB_TYPE_LE32}), so a message whose reserved bytes are not zero has no type at all.
 * Internal usage only.
 *
 * <pre>{@code
 * if (Messages.check(buf, off, len) == null && Messages.type(buf, off) == MessageType.TRANSPORT_DATA) {
 *   long counter = Messages.transportCounter(buf, off);
 * }
 * }</pre>
 */
public enum MessageType {
  /** Type 1, 148 bytes: the initiator's first handshake message (paper §5.4.2). */
  HANDSHAKE_INITIATION(1, Messages.INITIATION_SIZE, Messages.INITIATION_SIZE),
  /** Type 2, 92 bytes: the responder's answer (paper §5.4.3). */
  HANDSHAKE_RESPONSE(2, Messages.RESPONSE_SIZE, Messages.RESPONSE_SIZE),
  /** Type 3, 64 bytes: a cookie for a peer that must prove its address (paper §5.4.7). */
  COOKIE_REPLY(3, Messages.COOKIE_REPLY_SIZE, Messages.COOKIE_REPLY_SIZE),
  /**
   * Type 4, 32 bytes or more: a 16-byte header, then one encrypted inner packet with its 16-byte
   * tag; an empty inner packet is a keepalive (paper §5.4.6).
   */
  TRANSPORT_DATA(4, Messages.TRANSPORT_MIN_SIZE, Messages.MAX_MESSAGE_SIZE);

  private static final MessageType[] BY_CODE = {null, HANDSHAKE_INITIATION, HANDSHAKE_RESPONSE, COOKIE_REPLY,
      TRANSPORT_DATA};

  private final int code;
  private final int minSize;
  private final int maxSize;

  MessageType(int code, int minSize, int maxSize) {
    this.code = code;
    this.minSize = minSize;
    this.maxSize = maxSize;
  }

  /** Returns the type code, the value of the message's first little-endian 32-bit word. */
  public int code() {
    return code;
  }

  /** Returns the smallest size of a message of this type (its only size for handshake messages). */
  public int minSize() {
    return minSize;
  }

  /** Returns the largest size of a message of this type. */
  public int maxSize() {
    return maxSize;
  }

  /** Returns whether every message of this type has the same size (all but transport data). */
  public boolean isFixedSize() {
    return minSize == maxSize;
  }

  /** Returns whether the message ends with MAC1 and MAC2 (the two handshake messages). */
  public boolean hasMacs() {
    return this == HANDSHAKE_INITIATION || this == HANDSHAKE_RESPONSE;
  }

  /**
   * Returns the offset of MAC1, which authenticates the message's bytes before it (paper §5.4.4).
   *
   * @throws IllegalStateException if the type has no MACs
   */
  public int mac1Offset() {
    return mac2Offset() - Messages.MAC_SIZE;
  }

  /**
   * Returns the offset of MAC2, which authenticates the message's bytes before it, MAC1 included
   * (paper §5.4.4); it is the last field.
   *
   * @throws IllegalStateException if the type has no MACs
   */
  public int mac2Offset() {
    if (!hasMacs()) {
      throw new IllegalStateException(this + " has no MACs");
    }
    return minSize - Messages.MAC_SIZE;
  }

  /**
   * Returns the type whose code is {@code word}, the message's first little-endian 32-bit word, or
   * null if there is none (including a known type byte followed by non-zero reserved bytes).
   */
  public static MessageType ofWord(int word) {
    return word > 0 && word < BY_CODE.length ? BY_CODE[word] : null;
  }
}
