package io.overlaynet.wireguard.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One keypair in use (paper §5.4.6): it seals outgoing packets into transport data messages with
 * a strictly increasing counter, and opens incoming ones, whose counters pass the replay window
 * only once they authenticate. A session is retired by age or message count
 * ({@link #canSend}, {@link #canReceive}); its keys are then zeroed ({@link #destroy}).
 *
 * <p>Each direction keeps one JDK Cipher, initialised per message with that message's nonce
 * (the JDK forbids reusing a nonce for encryption, which the counter guarantees anyway); the two
 * directions are locked separately, so one sender and one receiver run at once.
 */
final class Session {

  /** {@link #open}'s result for a message that does not authenticate (or whose counter is out of range). */
  static final int FORGED = -1;
  /** {@link #open}'s result for an authentic message whose counter was seen already or is too old. */
  static final int REPLAYED = -2;

  private final Noise.Keypair keys;
  private final long createdNanos;
  private final Protocol.Timers timers;
  private final SecretKeySpec sendKey;
  private final SecretKeySpec receiveKey;
  private final Cipher sealer;
  /** Replaced when the JDK refuses a repeated nonce (see {@link #open}); guarded by {@link #openLock}. */
  private Cipher opener;
  private final Object openLock = new Object();
  private final AtomicLong sendCounter = new AtomicLong();
  private final ReplayWindow window = new ReplayWindow();
  /** Whether the peer sent with this session yet: a responder may send only after that (paper §5.4.6). */
  private volatile boolean confirmed;
  private volatile boolean destroyed;

  Session(Noise.Keypair keys, long createdNanos) {
    this(keys, createdNanos, Protocol.Timers.DEFAULT);
  }

  /** A session whose age limits are {@code timers}' (tests scale them down). */
  Session(Noise.Keypair keys, long createdNanos, Protocol.Timers timers) {
    this.keys = keys;
    this.createdNanos = createdNanos;
    this.timers = timers;
    this.sendKey = new SecretKeySpec(keys.sendKey(), "ChaCha20");
    this.receiveKey = new SecretKeySpec(keys.receiveKey(), "ChaCha20");
    this.sealer = newCipher();
    this.opener = newCipher();
    this.confirmed = keys.initiator();
  }

  int localIndex() {
    return keys.localIndex();
  }

  int remoteIndex() {
    return keys.remoteIndex();
  }

  boolean initiator() {
    return keys.initiator();
  }

  long createdNanos() {
    return createdNanos;
  }

  /** Returns whether it may seal now: confirmed, not too old, counter not exhausted. */
  boolean canSend(long nowNanos) {
    return confirmed && !destroyed && nowNanos - createdNanos < timers.rejectAfterTime().toNanos()
        && Long.compareUnsigned(sendCounter.get(), Protocol.REKEY_AFTER_MESSAGES) < 0;
  }

  /** Returns whether messages for it are still accepted. */
  boolean canReceive(long nowNanos) {
    return !destroyed && nowNanos - createdNanos < timers.rejectAfterTime().toNanos();
  }

  /** Returns whether the initiator should start a new handshake (paper §6.2: REKEY_AFTER_TIME). */
  boolean wantsRekey(long nowNanos) {
    return keys.initiator() && nowNanos - createdNanos >= timers.rekeyAfterTime().toNanos();
  }

  /**
   * Seals {@code packet} (from its position to its limit; an empty one is a keepalive) into
   * {@code out} as a transport data message, padded to 16 bytes.
   *
   * @return the message's length
   */
  int seal(ByteBuffer packet, byte[] out) {
    int len = packet.remaining();
    int padded = len + Messages.padding(len, 0);
    long counter = sendCounter.getAndIncrement();
    ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    o.putInt(0, 4);
    o.putInt(Messages.TRANSPORT_RECEIVER, keys.remoteIndex());
    o.putLong(Messages.TRANSPORT_COUNTER, counter);
    packet.get(out, Messages.TRANSPORT_CONTENT, len);
    java.util.Arrays.fill(out, Messages.TRANSPORT_CONTENT + len, Messages.TRANSPORT_CONTENT + padded, (byte) 0);
    synchronized (sealer) {
      try {
        sealer.init(Cipher.ENCRYPT_MODE, sendKey, new IvParameterSpec(Aead.nonce(counter)));
        return Messages.TRANSPORT_CONTENT
            + sealer.doFinal(out, Messages.TRANSPORT_CONTENT, padded, out, Messages.TRANSPORT_CONTENT);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20-Poly1305 sealing failed", e);
      }
    }
  }

  /**
   * Opens the transport data message {@code msg[0, len)} (its receiver already matched) in place:
   * on success the padded packet is at {@link Messages#TRANSPORT_CONTENT}.
   *
   * @return the padded packet's length, {@link #FORGED} if it does not authenticate, {@link #REPLAYED} if it
   *     authenticates but its counter was accepted before or is behind the replay window
   */
  int open(byte[] msg, int len) {
    long counter = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).getLong(Messages.TRANSPORT_COUNTER);
    if (Long.compareUnsigned(counter, Protocol.REJECT_AFTER_MESSAGES) >= 0) {
      return FORGED;
    }
    int sealedLen = len - Messages.TRANSPORT_CONTENT;
    int n;
    synchronized (openLock) {
      try {
        IvParameterSpec nonce = new IvParameterSpec(Aead.nonce(counter));
        try {
          opener.init(Cipher.DECRYPT_MODE, receiveKey, nonce);
        } catch (InvalidKeyException e) {
          // The JDK refuses the nonce the cipher was last initialised with, for decryption too: a
          // message with the previous message's counter (a replay, or the genuine one right after a
          // forgery of it). A fresh cipher has no memory of it; the replay window decides below.
          opener = newCipher();
          opener.init(Cipher.DECRYPT_MODE, receiveKey, nonce);
        }
        n = opener.doFinal(msg, Messages.TRANSPORT_CONTENT, sealedLen, msg, Messages.TRANSPORT_CONTENT);
      } catch (AEADBadTagException e) {
        return FORGED;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20-Poly1305 opening failed", e);
      }
    }
    // Only an authentic counter may move the window: a forged one must not shift it.
    if (!window.accept(counter)) {
      return REPLAYED;
    }
    confirmed = true;
    return n;
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance("ChaCha20-Poly1305");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no ChaCha20-Poly1305", e);
    }
  }

  /** Zeroes the keys; the session seals and opens nothing more. */
  void destroy() {
    destroyed = true;
    keys.destroy();
  }

  @Override
  public String toString() {
    return "Session[" + keys + ", sent=" + sendCounter.get() + "]";
  }
}
