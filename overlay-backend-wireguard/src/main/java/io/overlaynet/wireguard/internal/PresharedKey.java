package io.overlaynet.wireguard.internal;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * A WireGuard preshared key (the {@code Q} of Noise_IKpsk2): 32 secret bytes shared by two
 * peers, mixed into the handshake for post-quantum resistance. flannel's {@code PSK} option
 * holds it in base64, as {@code wg genpsk} prints it.
 *
 * <pre>{@code
 * PresharedKey psk = PresharedKey.parse(config.psk());
 * psk.toString();   // "PresharedKey[redacted]"
 * }</pre>
 *
 * <p>A peer without a preshared key uses 32 zero bytes in the handshake; that is the
 * handshake's business, not a value of this class. The key never appears in
 * {@link #toString()}, in exception messages or in logs; {@link #equals} is constant-time and
 * {@link #hashCode} a constant (any hash of the bytes would leak some of them). {@link #destroy()}
 * zeroes it; after that every use but {@link #toString()} and {@link #isDestroyed()} throws
 * {@link IllegalStateException}. Internal but public: the backend package reads flannel's
 * {@code PSK} option into it.
 */
public final class PresharedKey implements Destroyable {

  /** Bytes of a preshared key. */
  public static final int LENGTH = KeyCodec.KEY_LEN;

  private static final String WHAT = "WireGuard preshared key";

  private final byte[] key;
  private volatile boolean destroyed;

  private PresharedKey(byte[] key) {
    this.key = key;
  }

  /** Generates 32 random bytes from a shared {@link SecureRandom}, as {@code wg genpsk} does. */
  public static PresharedKey generate() {
    return generate(KeyCodec.RANDOM);
  }

  /** Generates 32 random bytes from {@code random}. */
  public static PresharedKey generate(SecureRandom random) {
    byte[] k = new byte[LENGTH];
    random.nextBytes(k);
    return new PresharedKey(k);
  }

  /**
   * Parses 44 characters of base64.
   *
   * @throws IllegalArgumentException if {@code base64} is not a key in WireGuard's format; the
   *     message does not contain the input
   */
  public static PresharedKey parse(String base64) {
    return new PresharedKey(KeyCodec.decode(base64, WHAT));
  }

  /**
   * Returns the key of these 32 bytes (copied; the caller wipes its own copy).
   *
   * @throws IllegalArgumentException if {@code raw} is not 32 bytes
   */
  public static PresharedKey fromBytes(byte[] raw) {
    return new PresharedKey(KeyCodec.copyOf(raw, WHAT));
  }

  /**
   * Returns the internal 32 bytes, not a copy: callers in this package must neither change nor
   * keep them (so that {@link #destroy()} really removes the key).
   *
   * @throws IllegalStateException if destroyed
   */
  byte[] secret() {
    if (destroyed) {
      throw new IllegalStateException("WireGuard preshared key was destroyed");
    }
    return key;
  }

  /**
   * Returns the 44 ASCII bytes of base64; the caller wipes them.
   *
   * @throws IllegalStateException if destroyed
   */
  byte[] toBase64Ascii() {
    return KeyCodec.encode(secret());
  }

  /** Zeroes the key. Idempotent. */
  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(key, (byte) 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /**
   * Whether {@code o} is a preshared key with the same 32 bytes, compared in constant time; a
   * destroyed key equals only itself.
   */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    return o instanceof PresharedKey other && !destroyed && !other.destroyed
        && MessageDigest.isEqual(key, other.key);
  }

  /** A constant: a hash of the bytes would reveal some of them. */
  @Override
  public int hashCode() {
    return 0x5053_4b00;
  }

  @Override
  public String toString() {
    return destroyed ? "PresharedKey[destroyed]" : "PresharedKey[redacted]";
  }
}
