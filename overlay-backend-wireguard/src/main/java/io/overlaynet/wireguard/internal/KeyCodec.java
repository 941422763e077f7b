package io.overlaynet.wireguard.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * WireGuard's text form of a 32-byte key, shared by {@link PublicKey}, {@link PrivateKey} and
 * {@link PresharedKey}: standard base64 (RFC 4648 §4) with padding, 44 characters, the form
 * {@code wg genkey}, {@code wg show} and flannel's lease and key file use.
 *
 * <p>Decoding is as strict as wireguard-tools' {@code key_from_base64}: exactly 44 characters
 * ending in a single {@code '='}, and canonical (the padding bits of the last character are
 * zero; {@code wg} refuses a key whose last character before {@code '='} is off by one).
 * Errors never quote the input — the input may be a private key — and carry no cause, since
 * the JDK's base64 decoder names the offending character in its message.
 *
 * <p>The JDK's base64 uses table look-ups, which are not constant-time; keys are parsed once at
 * start-up or configuration, not per packet, so that is accepted. Internal: package-private.
 */
final class KeyCodec {

  /** Bytes of every WireGuard key. */
  static final int KEY_LEN = 32;
  /** Characters of a key in base64. */
  static final int BASE64_LEN = 44;

  private static final String NOT_32_BYTES =
      ": not base64 of 32 bytes (44 characters that end in one '=')";

  /** One generator for all keys: {@code SecureRandom} is thread-safe. */
  static final SecureRandom RANDOM = new SecureRandom();

  private KeyCodec() {}

  /**
   * Decodes a key from {@code text}.
   *
   * @param what how errors name the key, e.g. "WireGuard private key"
   * @throws IllegalArgumentException if {@code text} is not a key in base64 (message without it)
   */
  static byte[] decode(String text, String what) {
    if (text == null) {
      throw new IllegalArgumentException(what + ": null");
    }
    if (text.length() != BASE64_LEN) {
      throw wrongLength(what, text.length());
    }
    // Non-ASCII characters become '?', which the decoder rejects.
    byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
    try {
      return decode(ascii, 0, ascii.length, what);
    } finally {
      Arrays.fill(ascii, (byte) 0);
    }
  }

  /**
   * Decodes a key from {@code len} ASCII bytes of {@code ascii} at {@code off} (a key file's
   * content, without making a {@code String} of it that could not be wiped).
   *
   * @throws IllegalArgumentException if the bytes are not a key in base64 (message without them)
   */
  static byte[] decode(byte[] ascii, int off, int len, String what) {
    if (len != BASE64_LEN) {
      throw wrongLength(what, len);
    }
    if (ascii[off + BASE64_LEN - 1] != '=' || ascii[off + BASE64_LEN - 2] == '=') {
      throw new IllegalArgumentException(what + NOT_32_BYTES);
    }
    byte[] text = Arrays.copyOfRange(ascii, off, off + len);
    byte[] key = new byte[KEY_LEN];
    byte[] again = null;
    try {
      int n;
      try {
        n = Base64.getDecoder().decode(text, key);
      } catch (IllegalArgumentException e) {
        // Not chained: the JDK's message names the illegal character, which is key material.
        throw new IllegalArgumentException(what + ": not valid base64");
      }
      if (n != KEY_LEN) {
        // Unreachable after the checks above; kept so that a short key can never get through.
        throw new IllegalArgumentException(what + NOT_32_BYTES);
      }
      again = encode(key);
      if (!MessageDigest.isEqual(again, text)) {
        throw new IllegalArgumentException(what + ": not canonical base64 (the character"
            + " before '=' has padding bits set)");
      }
      byte[] result = key;
      key = null;
      return result;
    } finally {
      Arrays.fill(text, (byte) 0);
      if (again != null) {
        Arrays.fill(again, (byte) 0);
      }
      if (key != null) {
        Arrays.fill(key, (byte) 0);
      }
    }
  }

  /** Returns the 44 ASCII bytes of {@code key} in base64; the caller wipes them if secret. */
  static byte[] encode(byte[] key) {
    return Base64.getEncoder().encode(key);
  }

  /** Returns {@code key} in base64 (for public keys: a secret's String could not be wiped). */
  static String encodeToString(byte[] key) {
    return Base64.getEncoder().encodeToString(key);
  }

  /**
   * Copies a 32-byte key.
   *
   * @throws IllegalArgumentException if {@code raw} is not 32 bytes
   */
  static byte[] copyOf(byte[] raw, String what) {
    if (raw.length != KEY_LEN) {
      throw new IllegalArgumentException(what + " must be 32 bytes, not " + raw.length);
    }
    return raw.clone();
  }

  private static IllegalArgumentException wrongLength(String what, int len) {
    return new IllegalArgumentException(what + ": expected 44 base64 characters, got " + len);
  }
}
