package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MessagesTest {

  /** {@code n} bytes counting up from {@code first}: each field of a golden message is distinct. */
  private static byte[] seq(int first, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (first + i);
    }
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  private static byte[] bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  private static Rejection check(byte[] m) {
    return Messages.check(ByteBuffer.wrap(m), 0, m.length);
  }

  /** A handshake initiation laid out by hand from the paper's field list, sender 0x12345678. */
  private static final byte[] GOLDEN_INITIATION = concat(
      bytes(1, 0, 0, 0), bytes(0x78, 0x56, 0x34, 0x12), seq(0x10, 32), seq(0x40, 48), seq(0x80, 28),
      seq(0xa0, 16), seq(0xc0, 16));
  /** A handshake response: sender 0x01020304, receiver 0xfffffffe. */
  private static final byte[] GOLDEN_RESPONSE = concat(
      bytes(2, 0, 0, 0), bytes(4, 3, 2, 1), bytes(0xfe, 0xff, 0xff, 0xff), seq(0x10, 32), seq(0x40, 16),
      seq(0x60, 16), seq(0x80, 16));
  /** A cookie reply: receiver 7. */
  private static final byte[] GOLDEN_COOKIE_REPLY = concat(
      bytes(3, 0, 0, 0), bytes(7, 0, 0, 0), seq(0x20, 24), seq(0x50, 32));
  /** A keepalive: receiver 0x0a0b0c0d, counter 0x8000000000000001 (above 2^63), a bare tag. */
  private static final byte[] GOLDEN_KEEPALIVE = concat(
      bytes(4, 0, 0, 0), bytes(0x0d, 0x0c, 0x0b, 0x0a), bytes(1, 0, 0, 0, 0, 0, 0, 0x80), seq(0x30, 16));

  @Test
  void layoutOffsetsAreThePapers() {
    assertEquals(148, Messages.INITIATION_SIZE);
    assertEquals(40, Messages.INITIATION_STATIC);
    assertEquals(88, Messages.INITIATION_TIMESTAMP);
    assertEquals(116, Messages.INITIATION_MAC1);
    assertEquals(132, Messages.INITIATION_MAC2);
    assertEquals(92, Messages.RESPONSE_SIZE);
    assertEquals(44, Messages.RESPONSE_EMPTY);
    assertEquals(60, Messages.RESPONSE_MAC1);
    assertEquals(76, Messages.RESPONSE_MAC2);
    assertEquals(64, Messages.COOKIE_REPLY_SIZE);
    assertEquals(32, Messages.COOKIE_ENCRYPTED);
    assertEquals(32, Messages.TRANSPORT_MIN_SIZE);
    assertEquals(32, Messages.TRANSPORT_OVERHEAD);
  }

  @Test
  void macOffsetsOfTheTypesMatchTheLayout() {
    assertEquals(Messages.INITIATION_MAC1, MessageType.HANDSHAKE_INITIATION.mac1Offset());
    assertEquals(Messages.INITIATION_MAC2, MessageType.HANDSHAKE_INITIATION.mac2Offset());
    assertEquals(Messages.RESPONSE_MAC1, MessageType.HANDSHAKE_RESPONSE.mac1Offset());
    assertEquals(Messages.RESPONSE_MAC2, MessageType.HANDSHAKE_RESPONSE.mac2Offset());
    assertThrows(IllegalStateException.class, MessageType.COOKIE_REPLY::mac1Offset);
    assertThrows(IllegalStateException.class, MessageType.TRANSPORT_DATA::mac2Offset);
  }

  @Test
  void goldenInitiationParsesFieldByField() {
    HandshakeInitiation m = HandshakeInitiation.parse(ByteBuffer.wrap(GOLDEN_INITIATION), 0, 148).value();
    assertEquals(0x12345678, m.sender());
    assertArrayEquals(seq(0x10, 32), m.ephemeral());
    assertArrayEquals(seq(0x40, 48), m.encryptedStatic());
    assertArrayEquals(seq(0x80, 28), m.encryptedTimestamp());
    assertArrayEquals(seq(0xa0, 16), m.mac1());
    assertArrayEquals(seq(0xc0, 16), m.mac2());
    assertArrayEquals(GOLDEN_INITIATION, m.toBytes());
    assertEquals(m, HandshakeInitiation.of(0x12345678, seq(0x10, 32), seq(0x40, 48), seq(0x80, 28), seq(0xa0, 16),
        seq(0xc0, 16)));
    assertEquals(0x12345678, Messages.handshakeSender(ByteBuffer.wrap(GOLDEN_INITIATION), 0));
  }

  @Test
  void goldenResponseParsesFieldByField() {
    HandshakeResponse m = HandshakeResponse.parse(ByteBuffer.wrap(GOLDEN_RESPONSE), 0, 92).value();
    assertEquals(0x01020304, m.sender());
    assertEquals(0xfffffffe, m.receiver());
    assertArrayEquals(seq(0x10, 32), m.ephemeral());
    assertArrayEquals(seq(0x40, 16), m.encryptedNothing());
    assertArrayEquals(seq(0x60, 16), m.mac1());
    assertArrayEquals(seq(0x80, 16), m.mac2());
    assertArrayEquals(GOLDEN_RESPONSE, m.toBytes());
    assertEquals("HandshakeResponse[sender=16909060, receiver=4294967294, ephemeral="
        + "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f]", m.toString());
  }

  @Test
  void goldenCookieReplyParsesFieldByField() {
    CookieReply m = CookieReply.parse(ByteBuffer.wrap(GOLDEN_COOKIE_REPLY), 0, 64).value();
    assertEquals(7, m.receiver());
    assertArrayEquals(seq(0x20, 24), m.nonce());
    assertArrayEquals(seq(0x50, 32), m.encryptedCookie());
    assertArrayEquals(GOLDEN_COOKIE_REPLY, m.toBytes());
  }

  @Test
  void goldenKeepaliveReadsInPlace() {
    ByteBuffer b = ByteBuffer.wrap(GOLDEN_KEEPALIVE);
    assertNull(Messages.check(b, 0, 32));
    assertEquals(MessageType.TRANSPORT_DATA, Messages.type(b, 0));
    assertEquals(0x0a0b0c0d, Messages.transportReceiver(b, 0));
    assertEquals(0x8000000000000001L, Messages.transportCounter(b, 0));
  }

  @Test
  void fieldsAreLittleEndianWhateverTheBufferOrder() {
    for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
      ByteBuffer heap = ByteBuffer.wrap(GOLDEN_RESPONSE.clone()).order(order);
      ByteBuffer direct = ByteBuffer.allocateDirect(92).order(order).put(GOLDEN_RESPONSE);
      for (ByteBuffer b : new ByteBuffer[] {heap, direct}) {
        HandshakeResponse m = HandshakeResponse.parse(b, 0, 92).value();
        assertEquals(0x01020304, m.sender(), order + " " + b);
        assertEquals(0xfffffffe, m.receiver(), order + " " + b);
      }
    }
  }

  @Test
  void writersFillOnlyTheirBytesAtTheOffset() {
    HandshakeInitiation m = HandshakeInitiation.parse(ByteBuffer.wrap(GOLDEN_INITIATION), 0, 148).value();
    ByteBuffer b = ByteBuffer.allocateDirect(300).order(ByteOrder.BIG_ENDIAN);
    for (int i = 0; i < 300; i++) {
      b.put(i, (byte) 0xee);
    }
    b.position(3).limit(290);
    m.writeTo(b, 100);
    assertEquals(3, b.position(), "positions are not moved");
    assertEquals(290, b.limit());
    byte[] out = new byte[300];
    b.get(0, out, 0, 290);
    assertArrayEquals(GOLDEN_INITIATION, Arrays.copyOfRange(out, 100, 248));
    for (int i = 0; i < 290; i++) {
      if (i < 100 || i >= 248) {
        assertEquals((byte) 0xee, out[i], "byte " + i + " outside the message was written");
      }
    }
    assertThrows(IndexOutOfBoundsException.class, () -> m.writeTo(b, 143), "would end past the limit");
  }

  @Test
  void transportHeaderRoundTrips() {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.BIG_ENDIAN);
    Messages.writeTransportHeader(b, 8, 0xdeadbeef, -2L);
    assertArrayEquals(bytes(4, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
        Arrays.copyOfRange(b.array(), 8, 24));
    assertNull(Messages.check(b, 8, 32));
    assertEquals(0xdeadbeef, Messages.transportReceiver(b, 8));
    assertEquals(-2L, Messages.transportCounter(b, 8));
    assertThrows(IndexOutOfBoundsException.class, () -> Messages.writeTransportHeader(b, 49, 1, 1));
  }

  @Test
  void shortInputIsTooShort() {
    for (int n = 0; n < 4; n++) {
      assertEquals(Rejection.TOO_SHORT, check(Arrays.copyOf(GOLDEN_KEEPALIVE, n)), n + " bytes");
    }
    assertEquals(Rejection.TOO_SHORT, check(Arrays.copyOf(GOLDEN_INITIATION, 147)));
    assertEquals(Rejection.TOO_SHORT, check(Arrays.copyOf(GOLDEN_RESPONSE, 91)));
    assertEquals(Rejection.TOO_SHORT, check(Arrays.copyOf(GOLDEN_COOKIE_REPLY, 63)));
    assertEquals(Rejection.TOO_SHORT, check(Arrays.copyOf(GOLDEN_KEEPALIVE, 31)), "no room for the tag");
    assertEquals(Rejection.TOO_SHORT, check(Arrays.copyOf(GOLDEN_KEEPALIVE, 4)));
  }

  @Test
  void handshakeMessagesWithTrailingBytesHaveABadLength() {
    assertEquals(Rejection.BAD_LENGTH, check(Arrays.copyOf(GOLDEN_INITIATION, 149)));
    assertEquals(Rejection.BAD_LENGTH, check(Arrays.copyOf(GOLDEN_RESPONSE, 148)));
    assertEquals(Rejection.BAD_LENGTH, check(Arrays.copyOf(GOLDEN_COOKIE_REPLY, 92)));
  }

  @Test
  void transportDataMayBeAnyLengthUpTo65535() {
    assertNull(check(Arrays.copyOf(GOLDEN_KEEPALIVE, 33)), "not a multiple of 16: padding stops at the MTU");
    assertNull(check(Arrays.copyOf(GOLDEN_KEEPALIVE, 1452)));
    assertNull(check(Arrays.copyOf(GOLDEN_KEEPALIVE, 65535)));
    assertEquals(Rejection.BAD_LENGTH, check(Arrays.copyOf(GOLDEN_KEEPALIVE, 65536)));
  }

  @Test
  void unknownTypesAreBadTypes() {
    for (int t : new int[] {0, 5, 6, 0x7f, 0x80, 0xff}) {
      byte[] m = GOLDEN_KEEPALIVE.clone();
      m[0] = (byte) t;
      assertEquals(Rejection.BAD_TYPE, check(m), "type " + t);
    }
  }

  @Test
  void nonZeroReservedBytesAreBadTypesAsInWireGuardGo() {
    for (byte[] golden : new byte[][] {GOLDEN_INITIATION, GOLDEN_RESPONSE, GOLDEN_COOKIE_REPLY, GOLDEN_KEEPALIVE}) {
      for (int i = 1; i < 4; i++) {
        byte[] m = golden.clone();
        m[i] = 1;
        assertEquals(Rejection.BAD_TYPE, check(m), "type " + golden[0] + ", reserved byte " + i);
      }
    }
  }

  @Test
  void aParserRejectsAWellFormedMessageOfAnotherType() {
    ByteBuffer response = ByteBuffer.wrap(GOLDEN_RESPONSE);
    assertEquals(Rejection.BAD_TYPE, HandshakeInitiation.parse(response, 0, 92).rejection());
    assertEquals(Rejection.BAD_TYPE, CookieReply.parse(ByteBuffer.wrap(GOLDEN_INITIATION), 0, 148).rejection());
    assertEquals(Rejection.BAD_TYPE, HandshakeResponse.parse(ByteBuffer.wrap(GOLDEN_KEEPALIVE), 0, 32).rejection());
    // Malformed framing is reported as such, before the type mismatch.
    assertEquals(Rejection.TOO_SHORT, HandshakeInitiation.parse(response, 0, 2).rejection());
  }

  @Test
  void aSliceOutsideTheBufferIsTheCallersBug() {
    ByteBuffer b = ByteBuffer.wrap(GOLDEN_INITIATION).limit(100);
    assertThrows(IndexOutOfBoundsException.class, () -> Messages.check(b, 0, 148));
    assertThrows(IndexOutOfBoundsException.class, () -> Messages.check(b, -1, 10));
    assertThrows(IndexOutOfBoundsException.class, () -> HandshakeInitiation.parse(b, 90, 20));
  }

  @Test
  void rejectionsAreSharedAndCarryNoValue() {
    Parsed<HandshakeInitiation> a = HandshakeInitiation.parse(ByteBuffer.wrap(new byte[3]), 0, 3);
    Parsed<CookieReply> b = CookieReply.parse(ByteBuffer.wrap(new byte[1]), 0, 1);
    assertSame(a, b);
    assertFalse(a.isAccepted());
    assertEquals(Rejection.TOO_SHORT, a.rejection());
    assertThrows(IllegalStateException.class, a::value);
    Parsed<CookieReply> ok = CookieReply.parse(ByteBuffer.wrap(GOLDEN_COOKIE_REPLY), 0, 64);
    assertTrue(ok.isAccepted());
    assertNull(ok.rejection());
  }

  @Test
  void valuesAreImmutable() {
    byte[] nonce = seq(0x20, 24);
    CookieReply m = CookieReply.of(7, nonce, seq(0x50, 32));
    nonce[0] = 0;
    m.nonce()[1] = 0;
    assertArrayEquals(seq(0x20, 24), m.nonce());
    assertArrayEquals(GOLDEN_COOKIE_REPLY, m.toBytes());
  }

  @Test
  void factoriesCheckFieldLengths() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HandshakeInitiation.of(1, new byte[31], new byte[48], new byte[28], new byte[16], new byte[16]));
    assertEquals("ephemeral must be 32 bytes: 31", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> HandshakeResponse.of(1, 2, new byte[32], new byte[0], new byte[16], new byte[16]));
    assertThrows(IllegalArgumentException.class, () -> CookieReply.of(1, new byte[24], new byte[16]));
    assertThrows(NullPointerException.class, () -> CookieReply.of(1, null, new byte[32]));
  }

  @Test
  void paddingRoundsUpToSixteenButNotPastTheMtu() {
    assertEquals(0, Messages.padding(0, 1420), "a keepalive stays empty");
    assertEquals(15, Messages.padding(1, 1420));
    assertEquals(0, Messages.padding(16, 1420));
    assertEquals(12, Messages.padding(84, 1420), "a ping of 84 bytes goes out as 96");
    assertEquals(4, Messages.padding(1404, 1420));
    assertEquals(8, Messages.padding(1412, 1420), "1424 would pass the MTU: 1420");
    assertEquals(1, Messages.padding(1419, 1420), "1424 would pass the MTU: 1420");
    assertEquals(0, Messages.padding(1420, 1420));
    assertEquals(15, Messages.padding(1421, 1420), "past the MTU: only the last unit is padded");
    assertEquals(15, Messages.padding(17, 0), "no MTU");
    assertThrows(IllegalArgumentException.class, () -> Messages.padding(-1, 1420));
  }
}
