package io.overlaynet.wireguard.internal;

import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.TunDevice;
import io.overlaynet.netlink.offload.Gro;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes decrypted packets into the TUN device. Without a vnet header, each packet is one
 * {@code write}. With one, consecutive TCP/IPv4 segments of a flow received in one batch are
 * joined into a super-packet ({@link Gro}) and written with one {@code writev}, so the kernel
 * takes one skb instead of dozens; anything else goes alone behind a zero vnet header. One
 * instance per receiving thread; {@link #flush} at the end of every batch.
 */
final class TunWriter {

  private static final Logger log = LoggerFactory.getLogger(TunWriter.class);
  /** Room for a run: {@link Gro#MAX_SEGMENTS} packets of an MTU, or one of 64 KiB. */
  private static final int RUN_BYTES = 2 * 65536;

  private final TunDevice tun;
  private final boolean vnet;
  private final ByteBuffer run = ByteBuffer.allocateDirect(RUN_BYTES);
  private final ByteBuffer vnetHdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
  private final ByteBuffer zeroHdr = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_SIZE);
  /** The gather write: a header, then the run's pieces, each a view of {@link #run}. */
  private final ByteBuffer[] iov = new ByteBuffer[Gro.MAX_SEGMENTS + 1];
  private final Gro gro = new Gro();
  private int cursor;

  TunWriter(TunDevice tun) {
    this.tun = tun;
    this.vnet = tun.options().vnetHeader();
    for (int k = 1; k < iov.length; k++) {
      iov[k] = run.duplicate();
    }
  }

  /** Takes the packet {@code msg[off, off + len)} (copied): written now, or joined to the run. */
  void packet(byte[] msg, int off, int len) {
    if (!vnet) {
      run.clear().put(msg, off, len).flip();
      write(1, () -> tun.write(run));
      return;
    }
    if (gro.count() > 0 && cursor + len <= RUN_BYTES) {
      run.put(cursor, msg, off, len);
      if (gro.tryAppend(run, cursor, len)) {
        cursor += len;
        return;
      }
    }
    flush();
    run.put(0, msg, off, len);
    gro.start(run, 0, len);
    cursor = len;
  }

  /** Writes the run gathered so far, if any. */
  void flush() {
    int c = gro.count();
    if (c == 0) {
      return;
    }
    if (c == 1) {
      iov[0] = zeroHdr.clear();
    } else {
      gro.finish(vnetHdr);
      iov[0] = vnetHdr.clear();
    }
    for (int k = 0; k < c; k++) {
      int at = gro.pieceOffset(k);
      iov[k + 1].limit(at + gro.pieceLength(k)).position(at);
    }
    gro.reset();
    cursor = 0;
    write(c, () -> tun.write(iov, 0, 1 + c));
  }

  private interface Write {
    long run() throws NetlinkException;
  }

  private void write(int packets, Write w) {
    try {
      w.run();
    } catch (NetlinkException e) {
      // The kernel refused it (a full queue, a device going down): lost, as a packet may be.
      log.debug("{}: writing {} packet(s) to the TUN device failed: {}", tun.name(), packets, e.getMessage());
    }
  }
}
