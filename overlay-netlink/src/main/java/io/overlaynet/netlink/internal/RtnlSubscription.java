package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkEvent;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkListener;
import io.overlaynet.netlink.Subscription;
import io.overlaynet.netlink.codec.Codec;
import io.overlaynet.netlink.codec.NlMessage;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A multicast netlink socket and the platform thread that reads it and calls the listener.
 * Internal usage only.
 *
 * @param <T> the value type
 */
final class RtnlSubscription<T> implements Subscription {

  private static final Logger log = LoggerFactory.getLogger(RtnlSubscription.class);
  private static final long POLL_MILLIS = 1000;

  /** Lists the existing objects for {@link io.overlaynet.netlink.SubscribeOptions#listExisting()}. */
  interface Lister<T> {
    List<T> list() throws NetlinkException;
  }

  private final NetlinkSocket socket;
  private final Lister<T> lister;
  private final Function<NlMessage, NetlinkEvent<T>> decoder;
  private final NetlinkListener<T> listener;
  private final Thread thread;
  private volatile boolean active = true;

  private RtnlSubscription(NetlinkSocket socket, String what, Lister<T> lister,
      Function<NlMessage, NetlinkEvent<T>> decoder, NetlinkListener<T> listener) {
    this.socket = socket;
    this.lister = lister;
    this.decoder = decoder;
    this.listener = listener;
    this.thread = new Thread(this::loop, "netlink-" + what + "-subscription");
    this.thread.setDaemon(true);
  }

  /** Returns an event, or null when the message did not decode to a value. */
  static <T> NetlinkEvent<T> event(boolean added, T value) {
    return value == null ? null : new NetlinkEvent<>(added ? NetlinkEvent.Type.NEW : NetlinkEvent.Type.DEL, value);
  }

  /**
   * Binds a socket to {@code groups} in {@code ns} (or the caller's namespace) before listing,
   * so no change between the listing and the first event is missed, and starts the thread.
   */
  static <T> Subscription start(NetNs ns, String what, int groups, Lister<T> lister,
      Function<NlMessage, NetlinkEvent<T>> decoder, NetlinkListener<T> listener) throws NetlinkException {
    NetlinkSocket socket = ns == null ? NetlinkSocket.open(groups) : ns.run(() -> NetlinkSocket.open(groups));
    RtnlSubscription<T> s = new RtnlSubscription<>(socket, what, lister, decoder, listener);
    s.thread.start();
    return s;
  }

  private void loop() {
    if (lister != null) {
      try {
        for (T v : lister.list()) {
          deliver(new NetlinkEvent<>(NetlinkEvent.Type.NEW, v));
        }
      } catch (NetlinkException e) {
        listener.onError(e);
      }
    }
    ByteBuffer buf = Codec.allocate(256 * 1024);
    while (active) {
      int n;
      try {
        n = socket.receive(buf, POLL_MILLIS);
      } catch (NetlinkException e) {
        // ENOBUFS: the kernel dropped events because we fell behind; the listener must relist.
        if (active) {
          listener.onError(e);
        }
        if (e.errno() != NativeErrors.ENOBUFS) {
          break;
        }
        continue;
      }
      if (n < 0) {
        break;
      }
      if (n == 0) {
        continue;
      }
      for (NlMessage m : NlMessage.split(buf)) {
        NetlinkEvent<T> e;
        try {
          e = decoder.apply(m);
        } catch (RuntimeException ex) {
          log.warn("undecodable netlink notification (type {})", m.header().type(), ex);
          continue;
        }
        if (e != null && active) {
          deliver(e);
        }
      }
    }
    active = false;
  }

  private void deliver(NetlinkEvent<T> e) {
    try {
      listener.onEvent(e);
    } catch (RuntimeException ex) {
      log.warn("netlink listener failed on {}", e, ex);
    }
  }

  @Override
  public boolean isActive() {
    return active;
  }

  @Override
  public void close() {
    active = false;
    socket.close();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "Subscription{" + thread.getName() + ", " + (active ? "active" : "closed") + "}";
  }
}
