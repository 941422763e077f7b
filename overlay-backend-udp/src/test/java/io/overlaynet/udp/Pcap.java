package io.overlaynet.udp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the frames of a classic pcap file ({@code tcpdump -w}), either byte order. */
final class Pcap {

  private Pcap() {}

  static List<byte[]> read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    if (b.remaining() < 24) {
      return List.of();
    }
    b.order(ByteOrder.LITTLE_ENDIAN);
    int magic = b.getInt(0);
    if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
      b.order(ByteOrder.BIG_ENDIAN);
    }
    if (b.getInt(20) != 1) {
      throw new IOException("not an Ethernet capture: linktype " + b.getInt(20));
    }
    List<byte[]> frames = new ArrayList<>();
    int pos = 24;
    while (pos + 16 <= b.limit()) {
      int incl = b.getInt(pos + 8);
      byte[] f = new byte[incl];
      b.get(pos + 16, f);
      frames.add(f);
      pos += 16 + incl;
    }
    return frames;
  }
}
