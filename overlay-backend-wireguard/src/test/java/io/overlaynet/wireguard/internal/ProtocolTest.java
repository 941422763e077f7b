package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolTest {

  private static BigInteger unsigned(long v) {
    return new BigInteger(Long.toUnsignedString(v));
  }

  @Test
  void messageLimitsAreThePapersUnsignedValues() {
    BigInteger two = BigInteger.TWO;
    assertEquals(two.pow(60), unsigned(Protocol.REKEY_AFTER_MESSAGES));
    assertEquals(two.pow(64).subtract(two.pow(13)).subtract(BigInteger.ONE), unsigned(Protocol.REJECT_AFTER_MESSAGES));
  }

  @Test
  void timersAreThePapersValues() {
    assertEquals(Duration.ofSeconds(120), Protocol.REKEY_AFTER_TIME);
    assertEquals(Duration.ofSeconds(180), Protocol.REJECT_AFTER_TIME);
    assertEquals(Duration.ofSeconds(90), Protocol.REKEY_ATTEMPT_TIME);
    assertEquals(Duration.ofSeconds(5), Protocol.REKEY_TIMEOUT);
    assertEquals(Duration.ofSeconds(10), Protocol.KEEPALIVE_TIMEOUT);
    assertEquals(Duration.ofSeconds(120), Protocol.COOKIE_REFRESH_TIME);
  }

  @Test
  void derivedTimersFollowFromTheBaseOnes() {
    assertEquals(18, Protocol.MAX_TIMER_HANDSHAKES);
    assertEquals(Duration.ofSeconds(165), Protocol.REKEY_ON_RECEIVE_AFTER_TIME);
    assertEquals(Duration.ofSeconds(540), Protocol.ZERO_KEY_MATERIAL_AFTER);
    assertEquals(Duration.ofMillis(20), Protocol.HANDSHAKE_INITIATION_RATE);
  }

  @Test
  void defaultTimersAreThePapersAndScaledOnesAreChecked() {
    Protocol.Timers t = Protocol.Timers.DEFAULT;
    assertEquals(List.of(Protocol.REKEY_AFTER_TIME, Protocol.REJECT_AFTER_TIME, Protocol.REKEY_ATTEMPT_TIME,
        Protocol.REKEY_TIMEOUT, Protocol.REKEY_TIMEOUT_JITTER_MAX, Protocol.KEEPALIVE_TIMEOUT),
        List.of(t.rekeyAfterTime(), t.rejectAfterTime(), t.rekeyAttemptTime(), t.rekeyTimeout(),
            t.rekeyTimeoutJitterMax(), t.keepaliveTimeout()));
    assertEquals(Protocol.REKEY_ON_RECEIVE_AFTER_TIME, t.rekeyOnReceiveAfterTime());
    assertEquals(Duration.ofSeconds(1), t.withKeepaliveTimeout(Duration.ofSeconds(1)).keepaliveTimeout());
    assertEquals(Duration.ofMillis(1500), t.withKeepaliveTimeout(Duration.ofSeconds(1)).withRekeyTimeout(Duration.ofMillis(500))
        .withRekeyAfterTime(Duration.ofSeconds(2)).withRejectAfterTime(Duration.ofSeconds(3)).rekeyOnReceiveAfterTime());
    assertThrows(IllegalArgumentException.class, () -> t.withRekeyTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> t.withRekeyAfterTime(Protocol.REJECT_AFTER_TIME),
        "a rekey must come before the keypair is rejected");
  }
}
