package io.overlaynet.wireguard.internal;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * A WireGuard (X25519) private key: the node's static key, or a handshake's ephemeral key.
 *
 * <pre>{@code
 * PrivateKey key = PrivateKey.generate();    // as wg genkey: random and clamped
 * key.publicKey();                           // what goes into the lease
 * key.toString();                            // "PrivateKey[redacted, public ...]", never the key
 * key.destroy();                             // zeroes the 32 bytes
 * }</pre>
 *
 * <p>The key never appears in {@link #toString()}, in exception messages or in logs; the only
 * ways out are {@link #toBase64Ascii()} (for the key file) and {@link #secret()}, both
 * package-private. {@link #equals} is constant-time; {@link #hashCode} is the public key's, which
 * reveals nothing secret. The public key is computed once, at construction.
 *
 * <p>{@link #destroy()} zeroes the key; after it, every use but {@link #publicKey()},
 * {@link #toString()} and {@link #isDestroyed()} throws {@link IllegalStateException}. Thread-safe
 * for use; destroy it only when no other thread uses it. Internal but public: the backend package
 * ({@code io.overlaynet.wireguard}) loads the node's key with {@link WgKeyFile}.
 */
public final class PrivateKey implements Destroyable {

  /** Bytes of a private key. */
  public static final int LENGTH = KeyCodec.KEY_LEN;

  private static final String WHAT = "WireGuard private key";

  private final byte[] key;
  private final PublicKey publicKey;
  private volatile boolean destroyed;

  private PrivateKey(byte[] key) {
    this.key = key;
    this.publicKey = PublicKey.fromBytes(X25519.publicKey(key));
  }

  /** Generates a key from a shared {@link SecureRandom}, clamped as {@code wg genkey} does. */
  public static PrivateKey generate() {
    return generate(KeyCodec.RANDOM);
  }

  /** Generates a key from {@code random}, clamped as {@code wg genkey} does. */
  public static PrivateKey generate(SecureRandom random) {
    return new PrivateKey(X25519.generatePrivateKey(random));
  }

  /**
   * Parses 44 characters of base64 (as {@code wg genkey} prints and flannel's key file holds).
   * The key is used as given (X25519 clamps it), as {@code wg} does.
   *
   * @throws IllegalArgumentException if {@code base64} is not a key in WireGuard's format; the
   *     message does not contain the input
   */
  public static PrivateKey parse(String base64) {
    return new PrivateKey(KeyCodec.decode(base64, WHAT));
  }

  /**
   * Parses {@code len} ASCII bytes of base64 at {@code off}, without making a String of them.
   *
   * @param what how errors name the key (e.g. the key file); the message never quotes the bytes
   * @throws IllegalArgumentException if the bytes are not a key in WireGuard's format
   */
  static PrivateKey parseAscii(byte[] ascii, int off, int len, String what) {
    return new PrivateKey(KeyCodec.decode(ascii, off, len, what));
  }

  /**
   * Returns the key of these 32 bytes (copied; the caller wipes its own copy).
   *
   * @throws IllegalArgumentException if {@code raw} is not 32 bytes
   */
  public static PrivateKey fromBytes(byte[] raw) {
    return new PrivateKey(KeyCodec.copyOf(raw, WHAT));
  }

  /** Returns the public key (also after {@link #destroy()}). */
  public PublicKey publicKey() {
    return publicKey;
  }

  /**
   * Returns {@code DH(this, peer)}, the 32-byte X25519 shared secret; the caller wipes it.
   *
   * @throws InvalidKeyException if {@code peer} is a point of small order (all-zero secret)
   * @throws IllegalStateException if destroyed
   */
  byte[] sharedSecret(PublicKey peer) throws InvalidKeyException {
    return X25519.sharedSecret(secret(), peer.bytes());
  }

  /**
   * Returns the internal 32 bytes, not a copy: callers in this package must neither change nor
   * keep them (so that {@link #destroy()} really removes the key).
   *
   * @throws IllegalStateException if destroyed
   */
  byte[] secret() {
    checkNotDestroyed();
    return key;
  }

  /**
   * Returns the 44 ASCII bytes of base64, for the key file; the caller wipes them.
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
   * Whether {@code o} is a private key with the same 32 bytes, compared in constant time; a
   * destroyed key equals only itself.
   */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    return o instanceof PrivateKey other && !destroyed && !other.destroyed
        && MessageDigest.isEqual(key, other.key);
  }

  @Override
  public int hashCode() {
    return publicKey.hashCode();
  }

  /** Names the public key only: {@code PrivateKey[redacted, public <base64>]}. */
  @Override
  public String toString() {
    return destroyed ? "PrivateKey[destroyed]" : "PrivateKey[redacted, public " + publicKey + "]";
  }

  private void checkNotDestroyed() {
    if (destroyed) {
      throw new IllegalStateException("WireGuard private key was destroyed");
    }
  }
}
