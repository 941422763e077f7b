package io.overlaynet.netlink.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.testing.Prerequisites;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Golden bytes (little-endian hosts, i.e. x86-64 and arm64) and round trips for every structure. */
class CodecTest {

  private static final HexFormat HEX = HexFormat.of();

  @BeforeEach
  void littleEndian() {
    Prerequisites.require(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "a little-endian CPU",
        "run the golden-byte tests on x86_64 or aarch64");
  }

  private static ByteBuffer buf() {
    return Codec.allocate(256);
  }

  private static String hex(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    d.flip();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return HEX.formatHex(out);
  }

  private static ByteBuffer wrap(String hex) {
    byte[] bytes = HEX.parseHex(hex.replace(" ", ""));
    return Codec.allocate(bytes.length).put(bytes).flip();
  }

  @Test
  void alignment() {
    assertEquals(0, Codec.align(0));
    assertEquals(4, Codec.align(1));
    assertEquals(8, Codec.align(5));
    assertEquals(8, Codec.align(8));
  }

  @Test
  void nlMsgHdrGoldenAndRoundTrip() {
    ByteBuffer b = buf();
    NlMsgHdr h = new NlMsgHdr(32, 16, 0x605, 1, 0);
    h.encodeTo(b);
    assertEquals("20000000" + "1000" + "0506" + "01000000" + "00000000", hex(b));
    assertEquals(h, NlMsgHdr.decode(b.flip()));
    NlMsgHdr high = new NlMsgHdr(0x10000, 0xfffe, 0xffff, -1, -2);
    ByteBuffer c = buf();
    high.encodeTo(c);
    assertEquals(high, NlMsgHdr.decode(c.flip()), "u16 fields decode unsigned");
    assertTrue(high.hasFlag(NetlinkConstants.NLM_F_ACK));
  }

  @Test
  void fixedStructsGolden() {
    ByteBuffer b = buf();
    new IfInfoMsg(0, 1, 3, 1, 1).encodeTo(b);
    assertEquals("00" + "00" + "0100" + "03000000" + "01000000" + "01000000", hex(b));
    assertEquals(IfInfoMsg.SIZE, b.position());

    b = buf();
    new IfAddrMsg(2, 24, 0x80, 253, 5).encodeTo(b);
    assertEquals("02" + "18" + "80" + "fd" + "05000000", hex(b));
    assertEquals(IfAddrMsg.SIZE, b.position());

    b = buf();
    new RtMsg(2, 24, 0, 0, 254, 3, 0, 1, 4).encodeTo(b);
    assertEquals("02" + "18" + "00" + "00" + "fe" + "03" + "00" + "01" + "04000000", hex(b));
    assertEquals(RtMsg.SIZE, b.position());

    b = buf();
    new NdMsg(7, 4, 0x80, 0x02, 0).encodeTo(b);
    assertEquals("07" + "00" + "0000" + "04000000" + "8000" + "02" + "00", hex(b));
    assertEquals(NdMsg.SIZE, b.position());
  }

  @Test
  void fixedStructsRoundTripRandomValues() {
    Random r = new Random(42);
    for (int i = 0; i < 500; i++) {
      IfInfoMsg ifi = new IfInfoMsg(r.nextInt(256), r.nextInt(65536), r.nextInt(), r.nextInt(), r.nextInt());
      IfAddrMsg ifa = new IfAddrMsg(r.nextInt(256), r.nextInt(256), r.nextInt(256), r.nextInt(256), r.nextInt());
      RtMsg rtm = new RtMsg(r.nextInt(256), r.nextInt(256), r.nextInt(256), r.nextInt(256), r.nextInt(256),
          r.nextInt(256), r.nextInt(256), r.nextInt(256), r.nextInt());
      NdMsg nd = new NdMsg(r.nextInt(256), r.nextInt(), r.nextInt(65536), r.nextInt(256), r.nextInt(256));
      ByteBuffer b = buf();
      ifi.encodeTo(b);
      ifa.encodeTo(b);
      rtm.encodeTo(b);
      nd.encodeTo(b);
      b.flip();
      assertEquals(ifi, IfInfoMsg.decode(b));
      assertEquals(ifa, IfAddrMsg.decode(b));
      assertEquals(rtm, RtMsg.decode(b));
      assertEquals(nd, NdMsg.decode(b));
      assertFalse(b.hasRemaining());
    }
  }

  @Test
  void attributesGoldenWithPadding() {
    ByteBuffer b = buf();
    RtAttr.ofString(RtnlConstants.IFLA_IFNAME, "br0").encodeTo(b);
    RtAttr.ofU32(RtnlConstants.IFLA_MTU, 1450).encodeTo(b);
    RtAttr.ofBe16(RtnlConstants.IFLA_VXLAN_PORT, 8472).encodeTo(b);
    RtAttr.ofU8(RtnlConstants.IFLA_VXLAN_LEARNING, 0).encodeTo(b);
    RtAttr.ofFlag(RtnlConstants.IFLA_VXLAN_GBP).encodeTo(b);
    assertEquals("0800" + "0300" + "62723000"
        + "0800" + "0400" + "aa050000"
        + "0600" + "0f00" + "2118" + "0000"
        + "0500" + "0700" + "00" + "000000"
        + "0400" + "1700", hex(b));

    RtAttrs attrs = RtAttrs.decode(b.flip(), b.remaining());
    assertEquals("br0", attrs.string(RtnlConstants.IFLA_IFNAME, null));
    assertEquals(1450, attrs.u32(RtnlConstants.IFLA_MTU, 0));
    assertEquals(8472, attrs.get(RtnlConstants.IFLA_VXLAN_PORT).be16());
    assertEquals(0, attrs.u8(RtnlConstants.IFLA_VXLAN_LEARNING, 1));
    assertTrue(attrs.has(RtnlConstants.IFLA_VXLAN_GBP));
    assertEquals(-1, attrs.u32(99, -1));
    assertNull(attrs.bytes(99));
  }

  @Test
  void nestedAttributesRoundTrip() {
    ByteBuffer b = buf();
    NlMessageWriter w = new NlMessageWriter(b);
    w.begin(RtnlConstants.RTM_NEWLINK, NetlinkConstants.NLM_F_REQUEST, 9);
    new IfInfoMsg(0, 0, 0, 0, 0).encodeTo(w.buffer());
    int info = w.beginNested(RtnlConstants.IFLA_LINKINFO);
    w.attr(RtAttr.ofString(RtnlConstants.IFLA_INFO_KIND, "vxlan"));
    int data = w.beginNested(RtnlConstants.IFLA_INFO_DATA);
    w.attr(RtAttr.ofU32(RtnlConstants.IFLA_VXLAN_ID, 1));
    w.endNested(data);
    w.endNested(info);
    int len = w.end();
    assertEquals(b.position(), len);
    // header 16 + ifinfomsg 16 + linkinfo(4 + kind 12 + data(4 + id 8)) = 60
    assertEquals(60, len);

    List<NlMessage> msgs = NlMessage.split(b.flip());
    assertEquals(1, msgs.size());
    ByteBuffer p = msgs.get(0).payload();
    IfInfoMsg.decode(p);
    RtAttrs top = RtAttrs.decode(p, p.remaining());
    RtAttrs li = top.nested(RtnlConstants.IFLA_LINKINFO);
    assertEquals("vxlan", li.string(RtnlConstants.IFLA_INFO_KIND, null));
    assertEquals(1, li.nested(RtnlConstants.IFLA_INFO_DATA).u32(RtnlConstants.IFLA_VXLAN_ID, 0));
  }

  @Test
  void splitsSeveralMessagesAndRejectsBadLengths() {
    ByteBuffer b = buf();
    NlMessageWriter w = new NlMessageWriter(b);
    for (int seq = 1; seq <= 3; seq++) {
      w.begin(NetlinkConstants.NLMSG_NOOP, 0, seq);
      w.attr(RtAttr.ofU8(1, seq));
      w.end();
    }
    List<NlMessage> msgs = NlMessage.split(b.flip());
    assertEquals(List.of(1, 2, 3), msgs.stream().map(m -> m.header().seq()).toList());
    assertEquals(8, msgs.get(0).payload().remaining());

    assertThrows(IllegalArgumentException.class, () -> NlMessage.split(wrap("08000000 0100 0000 01000000 00000000")));
    assertThrows(IllegalArgumentException.class, () -> NlMessage.split(wrap("ff000000 0100 0000 01000000 00000000")));
    assertThrows(IllegalArgumentException.class,
        () -> RtAttrs.decode(wrap("0900 0100 00000000"), 8), "attribute overruns its container");
    assertThrows(IllegalArgumentException.class,
        () -> new NlMessageWriter(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN)));
  }

  @Test
  void errorWithExtendedAckGolden() {
    // NLMSG_ERROR, flags CAPPED|ACK_TLVS, error -17 (EEXIST), the request header, NLMSGERR_ATTR_MSG.
    String msg = "VNI exists";
    ByteBuffer b = buf();
    NlMessageWriter w = new NlMessageWriter(b);
    w.begin(NetlinkConstants.NLMSG_ERROR, NetlinkConstants.NLM_F_CAPPED | NetlinkConstants.NLM_F_ACK_TLVS, 5);
    new NlMsgErr(-17, new NlMsgHdr(60, RtnlConstants.RTM_NEWLINK, 0x605, 5, 0), msg, -1).encodeTo(w.buffer());
    w.end();
    assertEquals("34000000" + "0200" + "0003" + "05000000" + "00000000"
        + "efffffff"
        + "3c000000" + "1000" + "0506" + "05000000" + "00000000"
        + "0f00" + "0100" + HEX.formatHex("VNI exists".getBytes()) + "00" + "00", hex(b));

    NlMessage m = NlMessage.split(b.flip()).get(0);
    NlMsgErr err = NlMsgErr.decode(m.payload(), m.header().flags());
    assertEquals(-17, err.error());
    assertFalse(err.isAck());
    assertEquals(RtnlConstants.RTM_NEWLINK, err.request().type());
    assertEquals(msg, err.extAckMessage());
  }

  @Test
  void errorWithoutCapSkipsTheEchoedRequest() {
    // An ack (error 0) that echoes a 24-byte request (header + 8 bytes) and carries an offset TLV.
    ByteBuffer b = wrap("00000000" + "18000000 1400 0500 02000000 00000000" + "0203040500000000"
        + "0800 0200 10000000");
    NlMsgErr err = NlMsgErr.decode(b, NetlinkConstants.NLM_F_ACK_TLVS);
    assertTrue(err.isAck());
    assertEquals(24, err.request().length());
    assertEquals(16, err.extAckOffset());
    assertNull(err.extAckMessage());
  }

  @Test
  void rejectsForeignByteOrder() {
    ByteBuffer be = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
    if (ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN) {
      assertThrows(IllegalArgumentException.class, () -> new NlMsgHdr(16, 1, 0, 0, 0).encodeTo(be));
    }
    assertArrayEquals(new byte[] {0x21, 0x18}, RtAttr.ofBe16(1, 8472).value());
  }
}
