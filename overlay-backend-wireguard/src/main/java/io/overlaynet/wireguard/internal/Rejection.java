package io.overlaynet.wireguard.internal;

/**
 * Why a received datagram is not a well-formed WireGuard message; one drop counter per reason.
 * Only the framing is judged here (length and type word); authenticity is the handshake's and the
 * data path's business. Internal usage only.
 *
 * <pre>{@code
 * Rejection why = Messages.check(buf, off, len);
 * if (why != null) {
 *   drops.increment(why);
 *   continue;
 * }
 * }</pre>
 */
public enum Rejection {
  /**
   * Too short for its type: fewer than the 4 bytes of the type word, or fewer bytes than a
   * message of the type it names (a truncated handshake message, a data message without room for
   * its header and tag).
   */
  TOO_SHORT,
  /**
   * The first little-endian 32-bit word is not a type code 1..4. This includes a known type byte
   * followed by reserved bytes that are not zero: wireguard-go and the kernel compare the whole
   * word and drop such a datagram as of unknown type, so this implementation does too.
   */
  BAD_TYPE,
  /**
   * Longer than its type allows: a handshake message with trailing bytes (wireguard-go accepts
   * each handshake message only at its exact size), a data message beyond 65535 bytes.
   */
  BAD_LENGTH
}
