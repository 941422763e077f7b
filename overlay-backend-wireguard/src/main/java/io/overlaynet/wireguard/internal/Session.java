package io.overlaynet.wireguard.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One keypair in use (paper §5.4.6): it seals outgoing packets into transport data messages with
 * a strictly increasing counter, and opens incoming ones, whose counters pass the replay window
 * only once they authenticate. A session is retired by age or message count
 * ({@link #canSend}, {@link #canReceive}); its keys are then zeroed ({@link #destroy}).
 *
 * <p>Each direction has its own {@link ChaChaPoly}; sealing and opening take no lock (the counter
 * is an atomic, the replay window has its own), so several threads may seal or open at once. Only
 * {@link #destroy} excludes them, through a read-write lock, so that no message is ever sealed
 * under a zeroed key.
 */
final class Session {

  /** {@link #open}'s result for a message that does not authenticate (or whose counter is out of range). */
  static final int FORGED = -1;
  /** {@link #open}'s result for an authentic message whose counter was seen already or is too old. */
  static final int REPLAYED = -2;

  private final Noise.Keypair keys;
  private final long createdNanos;
  private final Protocol.Timers timers;
  private final ChaChaPoly sealer;
  private final ChaChaPoly opener;
  /** Read by seal and open, written by destroy: keys are zeroed only when no one uses them. */
  private final java.util.concurrent.locks.ReadWriteLock use = new java.util.concurrent.locks.ReentrantReadWriteLock();
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
    this.sealer = new ChaChaPoly(keys.sendKey());
    this.opener = new ChaChaPoly(keys.receiveKey());
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
   * @throws IllegalStateException if the session was destroyed
   */
  int seal(ByteBuffer packet, byte[] out) {
    int len = packet.remaining();
    packet.get(out, Messages.TRANSPORT_CONTENT, len);
    return sealInPlace(out, 0, len);
  }

  /**
   * Seals the packet of {@code len} bytes already at {@code buf[at + 16]} into a transport data
   * message starting at {@code at}: header before it, padding and tag after it.
   *
   * @return the message's length
   * @throws IllegalStateException if the session was destroyed
   */
  int sealInPlace(byte[] buf, int at, int len) {
    int padded = len + Messages.padding(len, 0);
    int content = at + Messages.TRANSPORT_CONTENT;
    java.util.Arrays.fill(buf, content + len, content + padded, (byte) 0);
    use.readLock().lock();
    try {
      if (destroyed) {
        throw new IllegalStateException("the session was destroyed");
      }
      long counter = sendCounter.getAndIncrement();
      ByteBuffer o = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
      o.putInt(at, 4);
      o.putInt(at + Messages.TRANSPORT_RECEIVER, keys.remoteIndex());
      o.putLong(at + Messages.TRANSPORT_COUNTER, counter);
      sealer.seal(counter, buf, content, padded);
    } finally {
      use.readLock().unlock();
    }
    return Messages.TRANSPORT_CONTENT + padded + ChaChaPoly.TAG_LEN;
  }

  /**
   * Prepares the packet of {@code len} bytes at {@code buf[at + 16]} for sealing in a
   * {@link ChaChaBatch}: writes the header before it and the padding after it, takes the next
   * counter and copies the sending key's words into {@code key}.
   *
   * @return the counter, or -1 if the session was destroyed (nothing taken)
   */
  long reserve(byte[] buf, int at, int len, int[] key) {
    int padded = len + Messages.padding(len, 0);
    int content = at + Messages.TRANSPORT_CONTENT;
    java.util.Arrays.fill(buf, content + len, content + padded, (byte) 0);
    use.readLock().lock();
    try {
      if (destroyed || !sealer.keyWords(key)) {
        return -1;
      }
      long counter = sendCounter.getAndIncrement();
      ByteBuffer o = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
      o.putInt(at, 4);
      o.putInt(at + Messages.TRANSPORT_RECEIVER, keys.remoteIndex());
      o.putLong(at + Messages.TRANSPORT_COUNTER, counter);
      return counter;
    } finally {
      use.readLock().unlock();
    }
  }

  /**
   * Copies the receiving key's words into {@code key} (for a {@link ChaChaBatch}).
   *
   * @return false if the session was destroyed
   */
  boolean receiveKey(int[] key) {
    use.readLock().lock();
    try {
      return !destroyed && opener.keyWords(key);
    } finally {
      use.readLock().unlock();
    }
  }

  /**
   * Records that a message with {@code counter} authenticated (a {@link ChaChaBatch} opened it):
   * the replay window takes it, or refuses it as seen before or too old.
   *
   * @return whether it was new
   */
  boolean accept(long counter) {
    if (!window.accept(counter)) {
      return false;
    }
    confirmed = true;
    return true;
  }

  /**
   * Opens the transport data message {@code msg[0, len)} (its receiver already matched) in place:
   * on success the padded packet is at {@link Messages#TRANSPORT_CONTENT}.
   *
   * @return the padded packet's length, {@link #FORGED} if it does not authenticate, {@link #REPLAYED} if it
   *     authenticates but its counter was accepted before or is behind the replay window
   */
  int open(byte[] msg, int len) {
    return openInPlace(msg, 0, len);
  }

  /**
   * Opens the transport data message {@code buf[at, at + len)} in place, as {@link #open}: on
   * success the padded packet is at {@code at + 16}.
   *
   * @return the padded packet's length, {@link #FORGED} or {@link #REPLAYED} as for {@link #open}
   */
  int openInPlace(byte[] buf, int at, int len) {
    if (len < Messages.TRANSPORT_CONTENT + ChaChaPoly.TAG_LEN) {
      return FORGED;
    }
    long counter = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).getLong(at + Messages.TRANSPORT_COUNTER);
    if (Long.compareUnsigned(counter, Protocol.REJECT_AFTER_MESSAGES) >= 0) {
      return FORGED;
    }
    int sealedLen = len - Messages.TRANSPORT_CONTENT;
    use.readLock().lock();
    try {
      if (destroyed || !opener.open(counter, buf, at + Messages.TRANSPORT_CONTENT, sealedLen)) {
        return FORGED;
      }
    } finally {
      use.readLock().unlock();
    }
    // Only an authentic counter may move the window: a forged one must not shift it.
    if (!window.accept(counter)) {
      return REPLAYED;
    }
    confirmed = true;
    return sealedLen - ChaChaPoly.TAG_LEN;
  }

  /** Zeroes the keys, once no seal or open is running; the session seals and opens nothing more. */
  void destroy() {
    use.writeLock().lock();
    try {
      destroyed = true;
      sealer.destroy();
      opener.destroy();
      keys.destroy();
    } finally {
      use.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "Session[" + keys + ", sent=" + sendCounter.get() + "]";
  }
}
