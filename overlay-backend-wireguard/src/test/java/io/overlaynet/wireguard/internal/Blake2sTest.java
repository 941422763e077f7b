package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** BLAKE2s against RFC 7693's vectors and against Python's {@code hashlib.blake2s}. */
class Blake2sTest {

  static final HexFormat HEX = HexFormat.of();

  static String hash(int outLen, byte[] key, byte[] msg) {
    return HEX.formatHex(new Blake2s(outLen, key).update(msg).finish());
  }

  /** Bytes {@code (i * 7 + 3) & 0xff}: a pattern that is not a multiple of any block. */
  static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 7 + 3);
    }
    return b;
  }

  static byte[] range(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  @Test
  void rfc7693AppendixBAbc() {
    // RFC 7693 Appendix B: the example computation of BLAKE2s-256("abc").
    assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
        hash(32, null, "abc".getBytes(StandardCharsets.US_ASCII)));
  }

  /** RFC 7693 Appendix E: the BLAKE2s self-test (a hash over 48 keyed and unkeyed hashes). */
  @Test
  void rfc7693AppendixESelfTest() {
    byte[] expected = HEX.parseHex(
        "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
    Blake2s grand = new Blake2s(32);
    for (int outLen : new int[] {16, 20, 28, 32}) {
      for (int inLen : new int[] {0, 3, 64, 65, 255, 1024}) {
        byte[] in = selftestSeq(inLen, inLen);
        grand.update(new Blake2s(outLen).update(in).finish());
        byte[] key = selftestSeq(outLen, outLen);
        grand.update(new Blake2s(outLen, key).update(in).finish());
      }
    }
    assertArrayEquals(expected, grand.finish());
  }

  /** RFC 7693 Appendix E's {@code selftest_seq}: a Fibonacci-like generator. */
  static byte[] selftestSeq(int len, int seed) {
    int a = 0xDEAD4BAD * seed;
    int b = 1;
    byte[] out = new byte[len];
    for (int i = 0; i < len; i++) {
      int t = a + b;
      a = b;
      b = t;
      out[i] = (byte) (t >>> 24);
    }
    return out;
  }

  /**
   * Made with Python 3.11's hashlib, e.g.
   * {@code hashlib.blake2s(bytes(range(255)), key=bytes(range(32))).hexdigest()} and
   * {@code hashlib.blake2s(bytes((i*7+3)&0xff for i in range(n))).hexdigest()}.
   */
  @Test
  void matchesPythonHashlib() {
    assertEquals("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9",
        hash(32, null, new byte[0]));
    // Keyed, 4 blocks after the key block (also the last entry of BLAKE2's keyed KAT).
    assertEquals("3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd",
        hash(32, range(32), range(255)));
    // Keyed with no message: the key block is the final block.
    assertEquals("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
        hash(32, range(32), new byte[0]));
    assertEquals("ce3c22b930e6395797de1e490600d305294ff2e30eb187bb63120e3f5e3fc129",
        hash(32, range(32), pattern(64)));
    // Keyed BLAKE2s-128, WireGuard's MAC: a 32-byte key over a handshake-initiation-sized input.
    assertEquals("072e94ffbfc684bd8ab2a1b9dade2fd5", hash(16, range(32), range(116)));
    assertEquals("75296c2d2c0f51210b383f386bc8b1ff",
        hash(16, range(16), "abc".getBytes(StandardCharsets.US_ASCII)));
    assertEquals("5ae3b99be29b01834c3b508521ede60438f8de17",
        hash(20, null, "abc".getBytes(StandardCharsets.US_ASCII)));
    // Block boundaries: one short, exact, one over, two exact, two and one over, many.
    assertEquals("de27df0e375d83c49f1af9ca8270f9f2fe7b70bf800fc01672db0e9746021ebf",
        hash(32, null, pattern(63)));
    assertEquals("5377e4ff957bda4d4535f4879876b71a61056c4cec31e78397c66ec47a86a130",
        hash(32, null, pattern(64)));
    assertEquals("19b1b26fba093f4a670d8913e1b71cbb2916dfa701018cc6b05785c966593374",
        hash(32, null, pattern(65)));
    assertEquals("83470c75afa23d90cd7659906e4b47daa278131fbb225241dd37a40fd5355ac7",
        hash(32, null, pattern(128)));
    assertEquals("26fd8892ab0a5f12d4acbff1efd7dcd92b99e2d377f888f07e3cb81b232b11cf",
        hash(32, null, pattern(129)));
    assertEquals("02a016193469710efadf8fb005ca19b509331cb847df5598cc0794bded669681",
        hash(32, null, pattern(1000)));
  }

  @Test
  void incrementalEqualsOneShotAtEverySplit() {
    Random random = new Random(7693);
    byte[] key = range(32);
    for (int len : new int[] {0, 1, 63, 64, 65, 127, 128, 129, 300}) {
      byte[] msg = new byte[len];
      random.nextBytes(msg);
      byte[] oneShot = new byte[16];
      Blake2s.hash(oneShot, 0, 16, key, msg, 0, len);
      for (int split = 0; split <= len; split++) {
        byte[] parts = new Blake2s(16, key).update(msg, 0, split)
            .update(msg, split, len - split).finish();
        assertArrayEquals(oneShot, parts, "len " + len + " split " + split);
      }
      Blake2s bytewise = new Blake2s(16, key);
      for (byte b : msg) {
        bytewise.update(b);
      }
      assertArrayEquals(oneShot, bytewise.finish(), "byte by byte, len " + len);
    }
  }

  @Test
  void initReusesAnInstance() {
    Blake2s b = new Blake2s(16, range(32));
    b.update(pattern(100)).finish();
    assertThrows(IllegalStateException.class, () -> b.update((byte) 1));
    assertThrows(IllegalStateException.class, b::finish);
    byte[] key = new byte[40];
    System.arraycopy(range(32), 0, key, 8, 32);
    b.init(32, key, 8, 32).update(range(255));
    assertEquals("3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd",
        HEX.formatHex(b.finish()));
    assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
        HEX.formatHex(b.init(32, null, 0, 0).update(new byte[] {'a', 'b', 'c'}).finish()));
  }

  @Test
  void rejectsBadLengths() {
    assertThrows(IllegalArgumentException.class, () -> new Blake2s(0));
    assertThrows(IllegalArgumentException.class, () -> new Blake2s(33));
    assertThrows(IllegalArgumentException.class, () -> new Blake2s(32, new byte[33]));
    assertThrows(IndexOutOfBoundsException.class, () -> new Blake2s(32).update(new byte[4], 2, 3));
    assertThrows(IndexOutOfBoundsException.class, () -> new Blake2s(32).finish(new byte[40], 9));
  }
}
