package io.overlaynet.wireguard.internal;

import static io.overlaynet.wireguard.internal.Messages.INITIATION_EPHEMERAL;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_MAC1;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_SENDER;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_SIZE;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_STATIC;
import static io.overlaynet.wireguard.internal.Messages.INITIATION_TIMESTAMP;
import static io.overlaynet.wireguard.internal.Messages.KEY_SIZE;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_EMPTY;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_EPHEMERAL;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_MAC1;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_RECEIVER;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_SENDER;
import static io.overlaynet.wireguard.internal.Messages.RESPONSE_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TAG_SIZE;
import static io.overlaynet.wireguard.internal.Messages.TIMESTAMP_SIZE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * WireGuard's handshake, Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s (paper §5.4.2 and §5.4.3), for
 * one local static key: the initiator writes an initiation and consumes the response; the
 * responder consumes the initiation and writes the response; both end with a {@link Keypair}.
 * Each step of the paper is one line here, in the paper's order, so the two can be read side by
 * side.
 *
 * <p>Messages are byte arrays in wire layout ({@link Messages}); MAC1 is written here and must
 * be checked by the caller before {@link #consumeInitiation} / {@link #consumeResponse} (with
 * {@link CookieChecker}, which also does MAC2 under load), since checking it is what keeps an
 * attacker from making us compute DH. Secrets in intermediate values are wiped as soon as they are
 * used. Not thread-safe per handshake; the class itself holds no state.
 */
final class Noise {

  private static final byte[] ZERO_PSK = new byte[KEY_SIZE];

  private final PrivateKey localStatic;
  private final SecureRandom random;

  /** A handshake endpoint for {@code localStatic}. */
  Noise(PrivateKey localStatic, SecureRandom random) {
    this.localStatic = Objects.requireNonNull(localStatic, "localStatic");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The transport keys both sides derive, and the two session indices. */
  record Keypair(byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex, boolean initiator) {
    /** Zeroes both keys (a retired keypair). */
    void destroy() {
      Arrays.fill(sendKey, (byte) 0);
      Arrays.fill(receiveKey, (byte) 0);
    }

    @Override
    public String toString() {
      return "Keypair[local=" + Integer.toUnsignedString(localIndex) + ", remote="
          + Integer.toUnsignedString(remoteIndex) + (initiator ? ", initiator" : ", responder") + "]";
    }
  }

  /** The initiator's state between its initiation and the response. */
  static final class Initiation {
    private final PublicKey remoteStatic;
    private final byte[] psk;
    private final int localIndex;
    private final byte[] chainKey;
    private final byte[] hash;
    private final PrivateKey ephemeral;

    private Initiation(PublicKey remoteStatic, byte[] psk, int localIndex, byte[] chainKey, byte[] hash,
        PrivateKey ephemeral) {
      this.remoteStatic = remoteStatic;
      this.psk = psk;
      this.localIndex = localIndex;
      this.chainKey = chainKey;
      this.hash = hash;
      this.ephemeral = ephemeral;
    }

    /** The index the response will name as its receiver. */
    int localIndex() {
      return localIndex;
    }

    void destroy() {
      Arrays.fill(chainKey, (byte) 0);
      Arrays.fill(hash, (byte) 0);
      ephemeral.destroy();
    }
  }

  /** What the responder learnt from a valid initiation. */
  static final class Initiated {
    private final PublicKey remoteStatic;
    private final Tai64n timestamp;
    private final int remoteIndex;
    private final byte[] remoteEphemeral;
    private final byte[] chainKey;
    private final byte[] hash;

    private Initiated(PublicKey remoteStatic, Tai64n timestamp, int remoteIndex, byte[] remoteEphemeral,
        byte[] chainKey, byte[] hash) {
      this.remoteStatic = remoteStatic;
      this.timestamp = timestamp;
      this.remoteIndex = remoteIndex;
      this.remoteEphemeral = remoteEphemeral;
      this.chainKey = chainKey;
      this.hash = hash;
    }

    /** The initiator's static public key: the caller looks its peer up by it. */
    PublicKey remoteStatic() {
      return remoteStatic;
    }

    /** The initiator's timestamp: accept only one newer than the last accepted from this peer. */
    Tai64n timestamp() {
      return timestamp;
    }

    int remoteIndex() {
      return remoteIndex;
    }
  }

  // ------------------------------------------------------------------ initiator

  /**
   * Writes a handshake initiation to {@code remoteStatic} into {@code msg} (148 bytes, MAC2 left
   * zero) and returns the state to consume the response with.
   *
   * @param psk the peers' preshared key, or null for none (all zeros)
   */
  Initiation initiate(PublicKey remoteStatic, PresharedKey psk, int localIndex, Tai64n now, byte[] msg) {
    checkSize(msg, INITIATION_SIZE);
    byte[] c = WgCrypto.initialChainingKey();
    byte[] h = WgCrypto.initialHash();
    byte[] rs = remoteStatic.bytes();
    WgCrypto.mixHash(h, rs, 0, KEY_SIZE);                                  // H = HASH(H || S_r_pub)
    PrivateKey e = PrivateKey.generate(random);
    byte[] ePub = e.publicKey().bytes();
    Arrays.fill(msg, (byte) 0);
    msg[0] = 1;                                                            // type 1, reserved 0
    putInt(msg, INITIATION_SENDER, localIndex);
    System.arraycopy(ePub, 0, msg, INITIATION_EPHEMERAL, KEY_SIZE);
    WgCrypto.kdf1(c, ePub, 0, KEY_SIZE, c);                                // C = KDF1(C, E_i_pub)
    WgCrypto.mixHash(h, ePub, 0, KEY_SIZE);                                // H = HASH(H || msg.ephemeral)
    byte[] k = new byte[KEY_SIZE];
    try {
      mixDh(c, k, e, remoteStatic);                                        // (C, k) = KDF2(C, DH(E_i, S_r))
      byte[] sPub = localStatic.publicKey().bytes();
      Aead.seal(k, 0, sPub, 0, KEY_SIZE, h, msg, INITIATION_STATIC);       // msg.static = AEAD(k, 0, S_i_pub, H)
      WgCrypto.mixHash(h, msg, INITIATION_STATIC, KEY_SIZE + TAG_SIZE);    // H = HASH(H || msg.static)
      mixDh(c, k, localStatic, remoteStatic);                              // (C, k) = KDF2(C, DH(S_i, S_r))
      byte[] ts = now.toBytes();
      Aead.seal(k, 0, ts, 0, TIMESTAMP_SIZE, h, msg, INITIATION_TIMESTAMP); // msg.timestamp = AEAD(k, 0, TAI64N, H)
      WgCrypto.mixHash(h, msg, INITIATION_TIMESTAMP, TIMESTAMP_SIZE + TAG_SIZE);
    } catch (InvalidKeyException ex) {
      e.destroy();
      throw new IllegalArgumentException("the peer's public key is a point of small order", ex);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
    writeMac1(msg, INITIATION_MAC1, remoteStatic);
    return new Initiation(remoteStatic, pskBytes(psk), localIndex, c, h, e);
  }

  /**
   * Consumes the response to {@code state} ({@code msg}, 92 bytes, MAC1 already checked):
   * returns the keypair, or empty if the response is not for this initiation or not authentic.
   * {@code state} is used up either way.
   */
  Optional<Keypair> consumeResponse(Initiation state, byte[] msg) {
    checkSize(msg, RESPONSE_SIZE);
    try {
      if (getInt(msg, RESPONSE_RECEIVER) != state.localIndex) {
        return Optional.empty();
      }
      byte[] c = state.chainKey;
      byte[] h = state.hash;
      PublicKey eR = PublicKey.read(msg, RESPONSE_EPHEMERAL);
      WgCrypto.kdf1(c, msg, RESPONSE_EPHEMERAL, KEY_SIZE, c);             // C = KDF1(C, E_r_pub)
      WgCrypto.mixHash(h, msg, RESPONSE_EPHEMERAL, KEY_SIZE);              // H = HASH(H || msg.ephemeral)
      mixDh1(c, state.ephemeral, eR);                                      // C = KDF1(C, DH(E_i, E_r))
      mixDh1(c, localStatic, eR);                                          // C = KDF1(C, DH(S_i, E_r))
      byte[] tau = new byte[KEY_SIZE];
      byte[] k = new byte[KEY_SIZE];
      try {
        WgCrypto.kdf3(c, state.psk, 0, KEY_SIZE, c, tau, k);               // (C, τ, k) = KDF3(C, Q)
        WgCrypto.mixHash(h, tau, 0, KEY_SIZE);                             // H = HASH(H || τ)
        byte[] nothing = new byte[0];
        if (!Aead.open(k, 0, msg, RESPONSE_EMPTY, TAG_SIZE, h, nothing, 0)) { // msg.empty = AEAD(k, 0, ε, H)
          return Optional.empty();
        }
      } finally {
        Arrays.fill(tau, (byte) 0);
        Arrays.fill(k, (byte) 0);
      }
      WgCrypto.mixHash(h, msg, RESPONSE_EMPTY, TAG_SIZE);
      return Optional.of(transportKeys(c, state.localIndex, getInt(msg, RESPONSE_SENDER), true));
    } catch (InvalidKeyException | IllegalArgumentException ex) {
      return Optional.empty(); // a small-order ephemeral: not a response we can use
    } finally {
      state.destroy();
    }
  }

  // ------------------------------------------------------------------ responder

  /**
   * Consumes an initiation to us ({@code msg}, 148 bytes, MAC1 already checked): returns who sent
   * it and when, or empty if it is not authentic (not for our key, tampered with).
   */
  Optional<Initiated> consumeInitiation(byte[] msg) {
    checkSize(msg, INITIATION_SIZE);
    byte[] c = WgCrypto.initialChainingKey();
    byte[] h = WgCrypto.initialHash();
    WgCrypto.mixHash(h, localStatic.publicKey().bytes(), 0, KEY_SIZE);    // H = HASH(H || S_r_pub)
    byte[] k = new byte[KEY_SIZE];
    try {
      PublicKey eI = PublicKey.read(msg, INITIATION_EPHEMERAL);
      WgCrypto.kdf1(c, msg, INITIATION_EPHEMERAL, KEY_SIZE, c);           // C = KDF1(C, E_i_pub)
      WgCrypto.mixHash(h, msg, INITIATION_EPHEMERAL, KEY_SIZE);
      mixDh(c, k, localStatic, eI);                                        // (C, k) = KDF2(C, DH(S_r, E_i))
      byte[] s = new byte[KEY_SIZE];
      if (!Aead.open(k, 0, msg, INITIATION_STATIC, KEY_SIZE + TAG_SIZE, h, s, 0)) {
        return Optional.empty();
      }
      PublicKey sI = PublicKey.fromBytes(s);
      WgCrypto.mixHash(h, msg, INITIATION_STATIC, KEY_SIZE + TAG_SIZE);
      mixDh(c, k, localStatic, sI);                                        // (C, k) = KDF2(C, DH(S_r, S_i))
      byte[] ts = new byte[TIMESTAMP_SIZE];
      if (!Aead.open(k, 0, msg, INITIATION_TIMESTAMP, TIMESTAMP_SIZE + TAG_SIZE, h, ts, 0)) {
        return Optional.empty();
      }
      WgCrypto.mixHash(h, msg, INITIATION_TIMESTAMP, TIMESTAMP_SIZE + TAG_SIZE);
      return Optional.of(new Initiated(sI, Tai64n.read(ts, 0), getInt(msg, INITIATION_SENDER),
          Arrays.copyOfRange(msg, INITIATION_EPHEMERAL, INITIATION_EPHEMERAL + KEY_SIZE), c, h));
    } catch (InvalidKeyException | IllegalArgumentException ex) {
      return Optional.empty();
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /**
   * Writes the response to {@code in} into {@code msg} (92 bytes, MAC2 left zero) and returns the
   * keypair; {@code psk} is the one configured for {@code in.remoteStatic()}, or null.
   */
  Keypair respond(Initiated in, PresharedKey psk, int localIndex, byte[] msg) {
    checkSize(msg, RESPONSE_SIZE);
    byte[] c = in.chainKey;
    byte[] h = in.hash;
    PrivateKey e = PrivateKey.generate(random);
    byte[] ePub = e.publicKey().bytes();
    Arrays.fill(msg, (byte) 0);
    msg[0] = 2;
    putInt(msg, RESPONSE_SENDER, localIndex);
    putInt(msg, RESPONSE_RECEIVER, in.remoteIndex);
    System.arraycopy(ePub, 0, msg, RESPONSE_EPHEMERAL, KEY_SIZE);
    byte[] tau = new byte[KEY_SIZE];
    byte[] k = new byte[KEY_SIZE];
    byte[] q = pskBytes(psk);
    try {
      WgCrypto.kdf1(c, ePub, 0, KEY_SIZE, c);                              // C = KDF1(C, E_r_pub)
      WgCrypto.mixHash(h, ePub, 0, KEY_SIZE);                              // H = HASH(H || msg.ephemeral)
      PublicKey eI = PublicKey.fromBytes(in.remoteEphemeral);
      mixDh1(c, e, eI);                                                    // C = KDF1(C, DH(E_r, E_i))
      mixDh1(c, e, in.remoteStatic);                                       // C = KDF1(C, DH(E_r, S_i))
      WgCrypto.kdf3(c, q, 0, KEY_SIZE, c, tau, k);                         // (C, τ, k) = KDF3(C, Q)
      WgCrypto.mixHash(h, tau, 0, KEY_SIZE);                               // H = HASH(H || τ)
      Aead.seal(k, 0, new byte[0], 0, 0, h, msg, RESPONSE_EMPTY);          // msg.empty = AEAD(k, 0, ε, H)
      WgCrypto.mixHash(h, msg, RESPONSE_EMPTY, TAG_SIZE);
    } catch (InvalidKeyException ex) {
      throw new IllegalArgumentException("the initiator's keys are points of small order", ex);
    } finally {
      Arrays.fill(tau, (byte) 0);
      Arrays.fill(k, (byte) 0);
      Arrays.fill(q, (byte) 0);
      e.destroy();
      Arrays.fill(h, (byte) 0);
    }
    writeMac1(msg, RESPONSE_MAC1, in.remoteStatic);
    return transportKeys(c, localIndex, in.remoteIndex, false);
  }

  // ------------------------------------------------------------------ MAC1

  /** MAC1 = MAC(HASH(LABEL_MAC1 || S_receiver_pub), msg[0, mac1Offset)). */
  private static void writeMac1(byte[] msg, int mac1Offset, PublicKey receiver) {
    byte[] key = WgCrypto.labelledKey(WgCrypto.LABEL_MAC1, receiver.bytes());
    WgCrypto.mac(key, msg, 0, mac1Offset, msg, mac1Offset);
  }

  // ------------------------------------------------------------------ helpers

  /** (C, k) = KDF2(C, DH(priv, pub)); the shared secret is wiped. */
  private static void mixDh(byte[] c, byte[] k, PrivateKey priv, PublicKey pub) throws InvalidKeyException {
    byte[] dh = priv.sharedSecret(pub);
    try {
      WgCrypto.kdf2(c, dh, 0, dh.length, c, k);
    } finally {
      Arrays.fill(dh, (byte) 0);
    }
  }

  /** C = KDF1(C, DH(priv, pub)); the shared secret is wiped. */
  private static void mixDh1(byte[] c, PrivateKey priv, PublicKey pub) throws InvalidKeyException {
    byte[] dh = priv.sharedSecret(pub);
    try {
      WgCrypto.kdf1(c, dh, 0, dh.length, c);
    } finally {
      Arrays.fill(dh, (byte) 0);
    }
  }

  /** (T_send, T_recv) = KDF2(C, ε), the initiator's order; the responder's is the reverse. */
  private static Keypair transportKeys(byte[] c, int localIndex, int remoteIndex, boolean initiator) {
    byte[] t1 = new byte[KEY_SIZE];
    byte[] t2 = new byte[KEY_SIZE];
    WgCrypto.kdf2(c, t1, t2);
    Arrays.fill(c, (byte) 0);
    return initiator ? new Keypair(t1, t2, localIndex, remoteIndex, true)
        : new Keypair(t2, t1, localIndex, remoteIndex, false);
  }

  private static byte[] pskBytes(PresharedKey psk) {
    return psk == null ? ZERO_PSK.clone() : psk.secret().clone();
  }

  private static void checkSize(byte[] msg, int size) {
    if (msg.length != size) {
      throw new IllegalArgumentException("a message buffer of " + size + " bytes is needed, not " + msg.length);
    }
  }

  private static int getInt(byte[] b, int off) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(off);
  }

  private static void putInt(byte[] b, int off, int v) {
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(off, v);
  }
}
