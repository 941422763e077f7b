package io.overlaynet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The prerequisite rule: fail by default, skip only on the explicit opt-in; CI plays no part. */
class PrerequisitesTest {

  @Test
  void aMissingPrerequisiteFailsByDefaultAlsoWhenCiIsSet() {
    for (Map<String, String> env : java.util.List.of(Map.<String, String>of(), Map.of("CI", "true"),
        Map.of("CI", "false"), Map.of(Prerequisites.ALLOW_SKIP, "no"))) {
      AssertionFailedError e = assertThrows(AssertionFailedError.class,
          () -> Prerequisites.require(false, "the etcd binary", "apt-get install etcd-server", env), env::toString);
      assertTrue(e.getMessage().startsWith("missing prerequisite: the etcd binary — apt-get install etcd-server"),
          e.getMessage());
      assertTrue(e.getMessage().contains("OVERLAYNET_ALLOW_SKIP=true"), "says how to opt in: " + e.getMessage());
      assertFalse(Prerequisites.skipAllowed(env));
    }
  }

  @Test
  void aMissingPrerequisiteSkipsOnlyWithTheOptIn() {
    for (String value : new String[] {"true", "TRUE"}) {
      Map<String, String> env = Map.of(Prerequisites.ALLOW_SKIP, value, "CI", "true");
      TestAbortedException e = assertThrows(TestAbortedException.class,
          () -> Prerequisites.require(false, "/dev/net/tun", "modprobe tun", env));
      assertTrue(e.getMessage().startsWith("missing prerequisite: /dev/net/tun — modprobe tun"), e.getMessage());
    }
  }

  @Test
  void aPresentPrerequisiteNeitherFailsNorSkips() {
    Prerequisites.require(true, "anything", "nothing to do", Map.of());
    Prerequisites.require(true, "anything", "nothing to do", Map.of(Prerequisites.ALLOW_SKIP, "true"));
    assertEquals("OVERLAYNET_ALLOW_SKIP", Prerequisites.ALLOW_SKIP);
  }
}
