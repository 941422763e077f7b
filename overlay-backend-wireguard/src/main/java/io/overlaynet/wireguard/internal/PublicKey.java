package io.overlaynet.wireguard.internal;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A WireGuard (X25519) public key: 32 bytes, written as 44 characters of base64 as in
 * {@code wg show} and in flannel's lease {@code BackendData} ({@code "PublicKey"}).
 *
 * <pre>{@code
 * PublicKey peer = PublicKey.parse("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
 * peer.toString();   // the same 44 characters, which parse() accepts
 * }</pre>
 *
 * <p>Immutable. Not validated as a curve point: as in WireGuard, a key of small order is
 * accepted here and fails at the handshake ({@link X25519#sharedSecret}). Internal but public:
 * the backend package ({@code io.overlaynet.wireguard}) reads and writes leases with it.
 */
public final class PublicKey {

  /** Bytes of a public key. */
  public static final int LENGTH = KeyCodec.KEY_LEN;

  private final byte[] key;

  private PublicKey(byte[] key) {
    this.key = key;
  }

  /**
   * Parses 44 characters of base64.
   *
   * @throws IllegalArgumentException if {@code base64} is not a key in WireGuard's format
   */
  public static PublicKey parse(String base64) {
    return new PublicKey(KeyCodec.decode(base64, "WireGuard public key"));
  }

  /**
   * Returns the key of these 32 bytes (copied).
   *
   * @throws IllegalArgumentException if {@code raw} is not 32 bytes
   */
  public static PublicKey fromBytes(byte[] raw) {
    return new PublicKey(KeyCodec.copyOf(raw, "WireGuard public key"));
  }

  /**
   * Returns the key of the 32 bytes at {@code off} of {@code buf} (copied), e.g. a decrypted
   * static key inside a handshake buffer.
   *
   * @throws IndexOutOfBoundsException if 32 bytes are not there
   */
  static PublicKey read(byte[] buf, int off) {
    Objects.checkFromIndexSize(off, LENGTH, buf.length);
    return new PublicKey(Arrays.copyOfRange(buf, off, off + LENGTH));
  }

  /** Returns a copy of the 32 bytes. */
  public byte[] bytes() {
    return key.clone();
  }

  /**
   * Writes the 32 bytes at {@code off} of {@code buf}.
   *
   * @throws IndexOutOfBoundsException if 32 bytes do not fit
   */
  public void writeTo(byte[] buf, int off) {
    Objects.checkFromIndexSize(off, LENGTH, buf.length);
    System.arraycopy(key, 0, buf, off, LENGTH);
  }

  /** Returns the 44 characters of base64. */
  public String toBase64() {
    return KeyCodec.encodeToString(key);
  }

  /** Compares in constant time (a public key is not secret, but it costs nothing). */
  @Override
  public boolean equals(Object o) {
    return o instanceof PublicKey other && MessageDigest.isEqual(key, other.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  /** Returns {@link #toBase64()}, which {@link #parse} accepts. */
  @Override
  public String toString() {
    return toBase64();
  }
}
