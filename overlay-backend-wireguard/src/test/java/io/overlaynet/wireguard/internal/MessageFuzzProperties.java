package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Fuzzing of the message parsers: random datagrams, and valid messages mutated (bit flips,
 * truncation, extension, type and reserved byte changes). Whatever the bytes, nothing throws,
 * nothing outside the slice is read, the verdict is the one the framing rules give, and what is
 * accepted writes back to the same bytes.
 */
class MessageFuzzProperties {

  /**
   * The framing rules, from the paper's sizes, written independently of the code under test: a
   * little-endian type word 1..4, then exactly 148 / 92 / 64 bytes, or 32..65535 for data.
   */
  static Rejection expected(byte[] m) {
    if (m.length < 4) {
      return Rejection.TOO_SHORT;
    }
    long word = (m[0] & 0xffL) | (m[1] & 0xffL) << 8 | (m[2] & 0xffL) << 16 | (m[3] & 0xffL) << 24;
    int min;
    int max;
    if (word == 1) {
      min = max = 148;
    } else if (word == 2) {
      min = max = 92;
    } else if (word == 3) {
      min = max = 64;
    } else if (word == 4) {
      min = 32;
      max = 65535;
    } else {
      return Rejection.BAD_TYPE;
    }
    return m.length < min ? Rejection.TOO_SHORT : m.length > max ? Rejection.BAD_LENGTH : null;
  }

  /**
   * Puts {@code m} at offset {@code pre} of a buffer that ends exactly where {@code m} ends (a read
   * past the slice throws) and whose first {@code pre} bytes are {@code fill}.
   */
  static ByteBuffer place(byte[] m, int pre, byte fill, boolean direct) {
    ByteBuffer b = direct ? ByteBuffer.allocateDirect(pre + m.length) : ByteBuffer.allocate(pre + m.length);
    for (int i = 0; i < pre; i++) {
      b.put(i, fill);
    }
    b.put(pre, m);
    return b;
  }

  /** What each parser makes of the slice, as one comparable string; throws if a parser throws. */
  static String verdicts(ByteBuffer b, int off, int len) {
    return Messages.check(b, off, len) + " " + HandshakeInitiation.parse(b, off, len) + " "
        + HandshakeResponse.parse(b, off, len) + " " + CookieReply.parse(b, off, len);
  }

  /** Parses an accepted message with the parser of its type and writes it back. */
  static byte[] roundTrip(byte[] m) {
    ByteBuffer in = ByteBuffer.wrap(m);
    switch (Messages.type(in, 0)) {
      case HANDSHAKE_INITIATION:
        return HandshakeInitiation.parse(in, 0, m.length).value().toBytes();
      case HANDSHAKE_RESPONSE:
        return HandshakeResponse.parse(in, 0, m.length).value().toBytes();
      case COOKIE_REPLY:
        return CookieReply.parse(in, 0, m.length).value().toBytes();
      case TRANSPORT_DATA: {
        byte[] out = new byte[m.length];
        ByteBuffer o = ByteBuffer.wrap(out);
        Messages.writeTransportHeader(o, 0, Messages.transportReceiver(in, 0), Messages.transportCounter(in, 0));
        o.put(Messages.TRANSPORT_CONTENT, m, Messages.TRANSPORT_CONTENT, m.length - Messages.TRANSPORT_CONTENT);
        return out;
      }
      default:
        throw new AssertionError("not a type: " + Arrays.toString(Arrays.copyOf(m, 4)));
    }
  }

  /** Checks everything a datagram must satisfy, wherever it lies in whatever buffer. */
  static void judge(byte[] m, int pre, byte fill, boolean direct) {
    Rejection want = expected(m);
    ByteBuffer b = place(m, pre, fill, direct);
    assertEquals(want, Messages.check(b, pre, m.length));

    // Each parser accepts exactly the well-formed messages of its own type.
    MessageType type = want == null ? Messages.type(b, pre) : null;
    assertParser(want, type == MessageType.HANDSHAKE_INITIATION, HandshakeInitiation.parse(b, pre, m.length));
    assertParser(want, type == MessageType.HANDSHAKE_RESPONSE, HandshakeResponse.parse(b, pre, m.length));
    assertParser(want, type == MessageType.COOKIE_REPLY, CookieReply.parse(b, pre, m.length));

    // Nothing before the slice is read: other bytes there change nothing.
    assertEquals(verdicts(b, pre, m.length), verdicts(place(m, pre, (byte) ~fill, !direct), pre, m.length));

    if (want == null) {
      assertArrayEquals(m, roundTrip(m));
    }
  }

  private static void assertParser(Rejection framing, boolean ownType, Parsed<?> parsed) {
    if (framing != null) {
      assertEquals(framing, parsed.rejection());
    } else {
      assertEquals(ownType ? null : Rejection.BAD_TYPE, parsed.rejection());
    }
  }

  @Property(tries = 3000)
  void anyDatagramIsJudgedByItsFramingAlone(@ForAll("datagrams") byte[] m, @ForAll @IntRange(max = 40) int pre,
      @ForAll byte fill, @ForAll boolean direct) {
    judge(m, pre, fill, direct);
  }

  @Property(tries = 3000)
  void mutatedValidMessagesAreJudgedAndRoundTrip(@ForAll("validMessages") byte[] valid, @ForAll("mutations") Mutation mutation,
      @ForAll @IntRange(max = 40) int pre, @ForAll boolean direct) {
    assertNull(expected(valid));
    byte[] m = mutation.apply(valid);
    judge(m, pre, (byte) 0x5a, direct);

    // What each kind of mutation must do to the verdict.
    boolean fixed = valid[0] != 4;
    switch (mutation.kind) {
      case FLIP_BODY:
        assertNull(Messages.check(ByteBuffer.wrap(m), 0, m.length), "a flipped bit after the type word");
        break;
      case FLIP_RESERVED:
      case SET_RESERVED:
        assertEquals(Rejection.BAD_TYPE, expected(m));
        break;
      case TRUNCATE:
        if (fixed || m.length < 32) {
          assertEquals(m.length == valid.length ? null : Rejection.TOO_SHORT, expected(m));
        }
        break;
      case EXTEND:
        if (fixed && m.length > valid.length) {
          assertEquals(Rejection.BAD_LENGTH, expected(m));
        }
        break;
      default:
        break;
    }
  }

  /** Random datagrams: pure noise, and noise behind a type word that is valid or nearly so. */
  @Provide
  Arbitrary<byte[]> datagrams() {
    Arbitrary<Integer> length = Arbitraries.frequencyOf(
        Tuple.of(10, Arbitraries.of(0, 1, 2, 3, 4, 5, 15, 16, 31, 32, 33, 47, 48, 63, 64, 65, 91, 92, 93, 147, 148, 149)),
        Tuple.of(10, Arbitraries.integers().between(0, 2000)),
        Tuple.of(1, Arbitraries.of(65535, 65536, 70000)));
    // Only the length of a huge datagram matters here: zeros, not 64 KiB of generated noise.
    Arbitrary<byte[]> noise = length.flatMap(n -> n > 2000 ? Arbitraries.create(() -> new byte[n])
        : Arbitraries.bytes().array(byte[].class).ofSize(n));
    Arbitrary<Integer> word = Arbitraries.oneOf(
        Arbitraries.integers().between(0, 5),
        Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 0xffffff))
            .as((t, reserved) -> t | reserved << 8),
        Arbitraries.integers());
    Arbitrary<byte[]> typed = Combinators.combine(noise, word).as((n, w) -> {
      byte[] m = n.clone();
      for (int i = 0; i < Math.min(4, m.length); i++) {
        m[i] = (byte) (w >>> (8 * i));
      }
      return m;
    });
    return Arbitraries.oneOf(noise, typed);
  }

  /** Well-formed messages of the four types, with random fields. */
  @Provide
  Arbitrary<byte[]> validMessages() {
    Arbitrary<Integer> index = Arbitraries.integers();
    Arbitrary<HandshakeInitiation> initiation = Combinators.combine(index, bytes(32), bytes(48), bytes(28), bytes(16),
        bytes(16)).as(HandshakeInitiation::of);
    Arbitrary<HandshakeResponse> response = Combinators.combine(index, index, bytes(32), bytes(16), bytes(16),
        bytes(16)).as(HandshakeResponse::of);
    Arbitrary<CookieReply> cookie = Combinators.combine(index, bytes(24), bytes(32)).as(CookieReply::of);
    Arbitrary<byte[]> transport = Combinators.combine(index, Arbitraries.longs(),
        Arbitraries.integers().between(16, 1500).flatMap(MessageFuzzProperties::bytes)).as((r, c, content) -> {
          byte[] m = new byte[Messages.TRANSPORT_HEADER_SIZE + content.length];
          ByteBuffer b = ByteBuffer.wrap(m);
          Messages.writeTransportHeader(b, 0, r, c);
          b.put(Messages.TRANSPORT_CONTENT, content);
          return m;
        });
    return Arbitraries.oneOf(initiation.map(HandshakeInitiation::toBytes), response.map(HandshakeResponse::toBytes),
        cookie.map(CookieReply::toBytes), transport);
  }

  private static Arbitrary<byte[]> bytes(int n) {
    return Arbitraries.bytes().array(byte[].class).ofSize(n);
  }

  enum Kind { FLIP_BODY, FLIP_RESERVED, FLIP_ANY, TRUNCATE, EXTEND, SET_TYPE, SET_RESERVED }

  /**
   * One mutation of a valid message; {@code at} and {@code value} are reduced to the message at
   * hand, so one generator serves all types.
   */
  record Mutation(Kind kind, int at, int value, byte[] tail) {
    byte[] apply(byte[] valid) {
      byte[] m = valid.clone();
      switch (kind) {
        case FLIP_BODY:
          m[4 + at % (m.length - 4)] ^= (byte) (1 << (value & 7));
          return m;
        case FLIP_RESERVED:
          m[1 + at % 3] ^= (byte) (1 << (value & 7));
          return m;
        case FLIP_ANY:
          m[at % m.length] ^= (byte) (1 << (value & 7));
          return m;
        case TRUNCATE:
          return Arrays.copyOf(m, at % (m.length + 1));
        case EXTEND: {
          byte[] longer = Arrays.copyOf(m, m.length + tail.length);
          System.arraycopy(tail, 0, longer, m.length, tail.length);
          return longer;
        }
        case SET_TYPE:
          m[0] = (byte) value;
          return m;
        case SET_RESERVED:
          m[1 + at % 3] = (byte) (1 + (value & 0x7f) % 255);
          return m;
        default:
          throw new AssertionError(kind);
      }
    }

    @Override
    public String toString() {
      return kind + "(at=" + at + ", value=" + value + ", tail=" + tail.length + " bytes)";
    }
  }

  @Provide
  Arbitrary<Mutation> mutations() {
    return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, Integer.MAX_VALUE),
        Arbitraries.integers().between(0, 255), Arbitraries.integers().between(1, 200).flatMap(MessageFuzzProperties::bytes))
        .as(Mutation::new);
  }
}
