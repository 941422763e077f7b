package io.overlaynet.udp;

import io.overlaynet.ip.Ip4;
import io.overlaynet.udp.internal.Ip4Packets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Hand-made IPv4 packets for injection tests. */
final class Packets {

  private Packets() {}

  /** An IPv4/UDP packet {@code src:40000 → dst:port} with {@code text}, UDP checksum 0 (none). */
  static byte[] udp(Ip4 src, Ip4 dst, int ttl, int port, String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    int len = 28 + payload.length;
    ByteBuffer b = ByteBuffer.allocateDirect(len);
    b.putInt(0, 0x45000000 | len).putInt(4, 0x40000000).putInt(8, (ttl << 24) | (17 << 16))
        .putInt(12, src.toInt()).putInt(16, dst.toInt());
    b.putShort(10, (short) Ip4Packets.headerChecksum(b, 0, 20));
    b.putShort(20, (short) 40000).putShort(22, (short) port).putShort(24, (short) (8 + payload.length)).putShort(26, (short) 0);
    b.put(28, payload);
    byte[] out = new byte[len];
    b.get(0, out);
    return out;
  }
}
