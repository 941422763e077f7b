package io.overlaynet.netlink.internal;

import static io.overlaynet.netlink.codec.NetlinkConstants.NLMSG_DONE;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLMSG_ERROR;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLMSG_NOOP;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLMSG_OVERRUN;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_ACK;
import static io.overlaynet.netlink.codec.NetlinkConstants.NLM_F_DUMP_INTR;

import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.codec.Codec;
import io.overlaynet.netlink.codec.NlMessage;
import io.overlaynet.netlink.codec.NlMessageWriter;
import io.overlaynet.netlink.codec.NlMsgErr;
import io.overlaynet.netlink.codec.NlMsgHdr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The request loop over one {@link NetlinkSocket}, modelled on vishvananda/netlink's
 * {@code executeIter}: per-socket sequence numbers, replies checked against port id and
 * sequence, {@code NLMSG_ERROR} turned into typed exceptions with the extended-ack text,
 * {@code NLM_F_DUMP_INTR} dumps retried, every wait bounded. Internal usage only.
 */
final class Transport implements AutoCloseable {

  static final long DEFAULT_TIMEOUT_MILLIS = 10_000;
  private static final int DUMP_ATTEMPTS = 10;
  /** Keep some room in the send buffer so one more message always fits. */
  private static final int BATCH_HEADROOM = 4096;
  /** Bounds the error replies a batch chunk can queue in the socket's receive buffer. */
  private static final int BATCH_MAX_MESSAGES = 1024;

  /** Writes one request with the given sequence number. */
  interface Encoder {
    void encode(NlMessageWriter w, int seq);
  }

  /** Writes request {@code index} of a batch with the given sequence number. */
  interface IndexedEncoder {
    void encode(NlMessageWriter w, int seq, int index);
  }

  private final NetlinkSocket socket;
  private final long timeoutMillis;
  private final ByteBuffer sendBuf = Codec.allocate(64 * 1024);
  private final ByteBuffer recvBuf = Codec.allocate(256 * 1024);
  private int seq;

  Transport(NetlinkSocket socket, long timeoutMillis) {
    this.socket = socket;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Sends one request with {@code NLM_F_ACK} and collects the decoded replies (non-null results
   * of {@code decoder}) until the acknowledgement.
   */
  synchronized <T> List<T> request(String op, Encoder enc, Function<NlMessage, T> decoder) throws NetlinkException {
    int s = send(enc);
    List<T> out = new ArrayList<>();
    exchange(op, s, false, decoder, out);
    return out;
  }

  /** Runs a dump to completion, retrying when the kernel flags it as interrupted. */
  synchronized <T> List<T> dump(String op, Encoder enc, Function<NlMessage, T> decoder) throws NetlinkException {
    for (int attempt = 1; ; attempt++) {
      int s = send(enc);
      List<T> out = new ArrayList<>();
      boolean interrupted = exchange(op, s, true, decoder, out);
      if (!interrupted) {
        return out;
      }
      if (attempt == DUMP_ATTEMPTS) {
        throw NativeErrors.newException(op, NativeErrors.EINTR,
            "dump interrupted by concurrent changes " + DUMP_ATTEMPTS + " times");
      }
    }
  }

  private int send(Encoder enc) throws NetlinkException {
    int s = nextSeq();
    sendBuf.clear();
    enc.encode(new NlMessageWriter(sendBuf), s);
    sendBuf.flip();
    socket.send(sendBuf, timeoutMillis);
    return s;
  }

  private int nextSeq() {
    seq = seq == Integer.MAX_VALUE ? 1 : seq + 1;
    return seq;
  }

  /** Reads replies to {@code s}; returns whether the dump was flagged as interrupted. */
  private <T> boolean exchange(String op, int s, boolean dump, Function<NlMessage, T> decoder, List<T> out)
      throws NetlinkException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    boolean interrupted = false;
    while (true) {
      int n = receive(op, deadline);
      if (n == 0) {
        continue;
      }
      for (NlMessage m : NlMessage.split(recvBuf)) {
        NlMsgHdr h = m.header();
        if (h.seq() != s || h.pid() != socket.portId()) {
          // A late reply to an earlier request that timed out: not ours to interpret.
          continue;
        }
        if (h.hasFlag(NLM_F_DUMP_INTR)) {
          interrupted = true;
        }
        switch (h.type()) {
          case NLMSG_ERROR -> {
            NlMsgErr err = NlMsgErr.decode(m.payload(), h.flags());
            if (err.error() != 0) {
              throw NativeErrors.newException(op, -err.error(), err.extAckMessage());
            }
            if (!dump) {
              return interrupted;
            }
          }
          case NLMSG_DONE -> {
            if (dump) {
              ByteBuffer p = m.payload();
              int error = p.remaining() >= 4 ? p.getInt() : 0;
              if (error < 0) {
                throw NativeErrors.newException(op, -error, null);
              }
              return interrupted;
            }
          }
          case NLMSG_NOOP, NLMSG_OVERRUN -> { }
          default -> {
            T v = decoder.apply(m);
            if (v != null) {
              out.add(v);
            }
          }
        }
      }
    }
  }

  private int receive(String op, long deadline) throws NetlinkException {
    long left = (deadline - System.nanoTime()) / 1_000_000L;
    if (left <= 0) {
      throw NativeErrors.newException(op, NativeErrors.ETIMEDOUT, "no reply within " + timeoutMillis + " ms");
    }
    int n = socket.receive(recvBuf, left);
    if (n < 0) {
      throw NativeErrors.newException(op + ": handle closed", NativeErrors.EBADF, null);
    }
    return n;
  }

  /**
   * Pipelines {@code count} requests: each chunk of up to {@link #BATCH_MAX_MESSAGES} goes out
   * in one {@code send}; only the chunk's last message asks for an ack. The kernel handles a
   * datagram's messages in order and always answers failures, so the last ack proves the chunk
   * done and every error still arrives. All requests are attempted; the first failure is thrown.
   */
  synchronized void batch(String op, int count, IndexedEncoder enc, IntFunction<String> describe)
      throws NetlinkException {
    List<NetlinkException> failures = new ArrayList<>();
    int next = 0;
    while (next < count) {
      sendBuf.clear();
      NlMessageWriter w = new NlMessageWriter(sendBuf);
      int first = next;
      int firstSeq = seq + 1;
      int lastStart = 0;
      while (next < count && next - first < BATCH_MAX_MESSAGES && sendBuf.remaining() > BATCH_HEADROOM) {
        lastStart = sendBuf.position();
        enc.encode(w, nextSeq(), next);
        short flags = sendBuf.getShort(lastStart + 6);
        sendBuf.putShort(lastStart + 6, (short) (flags & ~NLM_F_ACK));
        next++;
      }
      short flags = sendBuf.getShort(lastStart + 6);
      sendBuf.putShort(lastStart + 6, (short) (flags | NLM_F_ACK));
      int lastSeq = seq;
      sendBuf.flip();
      socket.send(sendBuf, timeoutMillis);
      awaitChunk(op, first, firstSeq, lastSeq, describe, failures);
    }
    if (!failures.isEmpty()) {
      NetlinkException head = failures.get(0);
      for (int i = 1; i < Math.min(failures.size(), 20); i++) {
        head.addSuppressed(failures.get(i));
      }
      throw head;
    }
  }

  private void awaitChunk(String op, int first, int firstSeq, int lastSeq, IntFunction<String> describe,
      List<NetlinkException> failures) throws NetlinkException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (true) {
      if (receive(op, deadline) == 0) {
        continue;
      }
      for (NlMessage m : NlMessage.split(recvBuf)) {
        NlMsgHdr h = m.header();
        if (h.type() != NLMSG_ERROR || h.pid() != socket.portId() || h.seq() < firstSeq || h.seq() > lastSeq) {
          continue;
        }
        NlMsgErr err = NlMsgErr.decode(m.payload(), h.flags());
        if (err.error() != 0) {
          failures.add(NativeErrors.newException(describe.apply(first + h.seq() - firstSeq), -err.error(),
              err.extAckMessage()));
        }
        if (h.seq() == lastSeq) {
          return;
        }
      }
    }
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public String toString() {
    return socket.toString();
  }
}
