package io.overlaynet.wireguard.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The framing of WireGuard's four messages (paper §5.4; wireguard-go
 * {@code device/noise-protocol.go}): sizes, field offsets, the check every received datagram
 * passes first, and the transport data header, read and written in place. Integer fields are
 * little-endian whatever the buffer's {@link ByteBuffer#order() order}; offsets are absolute and
 * positions and limits are never moved. Internal usage only.
 *
 * <pre>
 * initiation (1), 148 bytes   response (2), 92 bytes    cookie reply (3), 64   transport data (4)
 *   0 type, 3 zero bytes        0 type, 3 zero bytes      0 type, 3 zero         0 type, 3 zero
 *   4 sender index              4 sender index            4 receiver index       4 receiver index
 *   8 ephemeral (32)            8 receiver index          8 nonce (24)           8 counter (8)
 *  40 static (32+16)           12 ephemeral (32)         32 cookie (16+16)      16 packet (n+16)
 *  88 timestamp (12+16)        44 empty (0+16)
 * 116 mac1 (16)                60 mac1 (16)
 * 132 mac2 (16)                76 mac2 (16)
 * </pre>
 *
 * <p>The handshake messages and the cookie reply are parsed into immutable values
 * ({@link HandshakeInitiation}, {@link HandshakeResponse}, {@link CookieReply}); transport data,
 * the hot path, is read here without allocating:
 *
 * <pre>{@code
 * Rejection why = Messages.check(buf, off, len);
 * if (why == null && Messages.type(buf, off) == MessageType.TRANSPORT_DATA) {
 *   int receiver = Messages.transportReceiver(buf, off);
 *   long counter = Messages.transportCounter(buf, off);
 *   // decrypt len - TRANSPORT_HEADER_SIZE bytes at off + TRANSPORT_CONTENT in place
 * }
 * }</pre>
 */
public final class Messages {

  /** The size of a Poly1305 tag, which follows every encrypted field. */
  public static final int TAG_SIZE = 16;
  /** The size of MAC1 and of MAC2 (keyed BLAKE2s-128). */
  public static final int MAC_SIZE = 16;
  /** The size of an X25519 public key. */
  public static final int KEY_SIZE = 32;
  /** The size of a TAI64N timestamp. */
  public static final int TIMESTAMP_SIZE = 12;
  /** The size of the cookie reply's XChaCha20-Poly1305 nonce. */
  public static final int COOKIE_NONCE_SIZE = 24;
  /** The size of a cookie (keyed BLAKE2s-128 of the initiator's address). */
  public static final int COOKIE_SIZE = 16;

  /** Offset of the type byte; the three bytes after it are reserved and zero. */
  public static final int TYPE = 0;

  /** The size of a handshake initiation. */
  public static final int INITIATION_SIZE = 148;
  /** Offset of the initiator's sender index in a handshake initiation. */
  public static final int INITIATION_SENDER = 4;
  /** Offset of the unencrypted ephemeral public key in a handshake initiation. */
  public static final int INITIATION_EPHEMERAL = 8;
  /** Offset of the encrypted static public key (32 + 16 bytes) in a handshake initiation. */
  public static final int INITIATION_STATIC = INITIATION_EPHEMERAL + KEY_SIZE;
  /** Offset of the encrypted TAI64N timestamp (12 + 16 bytes) in a handshake initiation. */
  public static final int INITIATION_TIMESTAMP = INITIATION_STATIC + KEY_SIZE + TAG_SIZE;
  /** Offset of MAC1 in a handshake initiation: it covers bytes 0..115. */
  public static final int INITIATION_MAC1 = INITIATION_TIMESTAMP + TIMESTAMP_SIZE + TAG_SIZE;
  /** Offset of MAC2 in a handshake initiation: it covers bytes 0..131. */
  public static final int INITIATION_MAC2 = INITIATION_MAC1 + MAC_SIZE;

  /** The size of a handshake response. */
  public static final int RESPONSE_SIZE = 92;
  /** Offset of the responder's sender index in a handshake response. */
  public static final int RESPONSE_SENDER = 4;
  /** Offset of the receiver index (the initiator's sender index) in a handshake response. */
  public static final int RESPONSE_RECEIVER = 8;
  /** Offset of the unencrypted ephemeral public key in a handshake response. */
  public static final int RESPONSE_EPHEMERAL = 12;
  /** Offset of the encrypted empty payload (its 16-byte tag only) in a handshake response. */
  public static final int RESPONSE_EMPTY = RESPONSE_EPHEMERAL + KEY_SIZE;
  /** Offset of MAC1 in a handshake response: it covers bytes 0..59. */
  public static final int RESPONSE_MAC1 = RESPONSE_EMPTY + TAG_SIZE;
  /** Offset of MAC2 in a handshake response: it covers bytes 0..75. */
  public static final int RESPONSE_MAC2 = RESPONSE_MAC1 + MAC_SIZE;

  /** The size of a cookie reply. */
  public static final int COOKIE_REPLY_SIZE = 64;
  /** Offset of the receiver index (the sender index of the message answered) in a cookie reply. */
  public static final int COOKIE_RECEIVER = 4;
  /** Offset of the 24-byte nonce in a cookie reply. */
  public static final int COOKIE_NONCE = 8;
  /** Offset of the encrypted cookie (16 + 16 bytes) in a cookie reply. */
  public static final int COOKIE_ENCRYPTED = COOKIE_NONCE + COOKIE_NONCE_SIZE;

  /** Offset of the receiver index in a transport data message. */
  public static final int TRANSPORT_RECEIVER = 4;
  /** Offset of the 64-bit counter (the nonce) in a transport data message. */
  public static final int TRANSPORT_COUNTER = 8;
  /** Offset of the encrypted packet in a transport data message. */
  public static final int TRANSPORT_CONTENT = 16;
  /** The size of the transport data header (type, receiver, counter). */
  public static final int TRANSPORT_HEADER_SIZE = TRANSPORT_CONTENT;
  /** The size of the smallest transport data message, a keepalive: header and tag. */
  public static final int TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + TAG_SIZE;
  /**
   * The largest message accepted, the largest UDP payload there could be (wireguard-go
   * {@code MaxMessageSize}, 65535).
   */
  public static final int MAX_MESSAGE_SIZE = 65535;

  /** The bytes WireGuard adds to an inner packet: the transport header and the tag (32). */
  public static final int TRANSPORT_OVERHEAD = TRANSPORT_HEADER_SIZE + TAG_SIZE;

  // View handles read and write little-endian words at any index of any ByteBuffer (heap or
  // direct, any order), unaligned, with the buffer's bounds checks.
  private static final VarHandle INT_LE = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private Messages() {}

  /**
   * Checks the framing of the {@code len} bytes at {@code off}, a received datagram: a type word
   * 1..4 (reserved bytes zero) and a length that type allows. It reads only the type word, never
   * outside the slice, and never throws for any content.
   *
   * @return null if the datagram is a well-formed message, else why not
   * @throws IndexOutOfBoundsException if the slice is not within the buffer's limit (a caller's
   *     bug, not bad input)
   */
  public static Rejection check(ByteBuffer b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.limit());
    if (len < 4) {
      return Rejection.TOO_SHORT;
    }
    MessageType type = MessageType.ofWord(getIntLE(b, off));
    if (type == null) {
      return Rejection.BAD_TYPE;
    }
    if (len < type.minSize()) {
      return Rejection.TOO_SHORT;
    }
    if (len > type.maxSize()) {
      return Rejection.BAD_LENGTH;
    }
    return null;
  }

  /**
   * Returns the type of the message at {@code off}, or null if its type word is not a type; use
   * after {@link #check}, which also judges the length.
   *
   * @throws IndexOutOfBoundsException if fewer than 4 bytes are left before the buffer's limit
   */
  public static MessageType type(ByteBuffer b, int off) {
    return MessageType.ofWord(getIntLE(b, off));
  }

  /**
   * Returns the sender index of the handshake message (initiation or response) at {@code off}:
   * the index a cookie reply to it is addressed to.
   */
  public static int handshakeSender(ByteBuffer b, int off) {
    return getIntLE(b, off + INITIATION_SENDER);
  }

  /** Returns the receiver index of the transport data message at {@code off}. */
  public static int transportReceiver(ByteBuffer b, int off) {
    return getIntLE(b, off + TRANSPORT_RECEIVER);
  }

  /** Returns the counter of the transport data message at {@code off} (unsigned). */
  public static long transportCounter(ByteBuffer b, int off) {
    return (long) LONG_LE.get(b, off + TRANSPORT_COUNTER);
  }

  /**
   * Writes the 16-byte transport data header at {@code off}: type 4, zero reserved bytes,
   * {@code receiver} and {@code counter}. The encrypted packet and tag go at
   * {@code off + TRANSPORT_CONTENT}.
   *
   * @throws IndexOutOfBoundsException if the header does not fit before the buffer's limit
   */
  public static void writeTransportHeader(ByteBuffer b, int off, int receiver, long counter) {
    Objects.checkFromIndexSize(off, TRANSPORT_HEADER_SIZE, b.limit());
    putIntLE(b, off + TYPE, MessageType.TRANSPORT_DATA.code());
    putIntLE(b, off + TRANSPORT_RECEIVER, receiver);
    LONG_LE.set(b, off + TRANSPORT_COUNTER, counter);
  }

  /**
   * Returns how many zero bytes to append to an inner packet of {@code packetLen} bytes before
   * encryption: up to the next multiple of {@link Protocol#PADDING_MULTIPLE}, but never past
   * {@code mtu}, the device MTU (paper §5.4.6; 0 means no MTU cap). A packet longer than the MTU
   * (a GSO super-packet) is padded for its last MTU-sized unit only, as wireguard-go and the kernel
   * do.
   *
   * @throws IllegalArgumentException if {@code packetLen} or {@code mtu} is negative
   */
  public static int padding(int packetLen, int mtu) {
    if (packetLen < 0 || mtu < 0) {
      throw new IllegalArgumentException("negative length: packetLen=" + packetLen + ", mtu=" + mtu);
    }
    int multiple = Protocol.PADDING_MULTIPLE;
    if (mtu == 0) {
      return -packetLen & (multiple - 1);
    }
    int lastUnit = packetLen > mtu ? packetLen % mtu : packetLen;
    int padded = Math.min((lastUnit + multiple - 1) & -multiple, mtu);
    return padded - lastUnit;
  }

  /** Reads the little-endian 32-bit word at {@code index}. */
  static int getIntLE(ByteBuffer b, int index) {
    return (int) INT_LE.get(b, index);
  }

  /** Writes {@code v} as a little-endian 32-bit word at {@code index}. */
  static void putIntLE(ByteBuffer b, int index, int v) {
    INT_LE.set(b, index, v);
  }

  /** Returns a copy of the {@code n} bytes at {@code index}. */
  static byte[] getBytes(ByteBuffer b, int index, int n) {
    byte[] out = new byte[n];
    b.get(index, out);
    return out;
  }

  /**
   * Returns a copy of {@code v}, checked to be {@code size} bytes long: the factories of the message
   * values take no array they do not own.
   *
   * @throws IllegalArgumentException if it is not
   */
  static byte[] field(String name, byte[] v, int size) {
    Objects.requireNonNull(v, name);
    if (v.length != size) {
      throw new IllegalArgumentException(name + " must be " + size + " bytes: " + v.length);
    }
    return v.clone();
  }
}
