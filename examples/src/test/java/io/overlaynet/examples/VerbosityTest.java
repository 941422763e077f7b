package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How AgentMain finds -v before picocli runs, and how -v maps onto log levels. */
class VerbosityTest {

  static final Set<String> SUBCOMMANDS = AgentMain.subcommandNames();

  static Optional<String> find(Map<String, String> env, String... args) {
    return Verbosity.find(List.of(args), SUBCOMMANDS, env);
  }

  @Test
  void everySpellingPicocliAccepts() {
    assertEquals(Optional.of("2"), find(Map.of(), "-v=2"));
    assertEquals(Optional.of("2"), find(Map.of(), "--v=2"));
    assertEquals(Optional.of("3"), find(Map.of(), "--iface=eth0", "-v", "3", "--ip-masq"));
    assertEquals(Optional.of("3"), find(Map.of(), "--v", "3"));
    assertEquals(Optional.of("4"), find(Map.of(), "-v4"));
    assertEquals(Optional.of("x"), find(Map.of(), "-v=x")); // picocli then rejects it
    assertEquals(Optional.empty(), find(Map.of(), "-v")); // picocli then asks for the value
  }

  @Test
  void picocliReadsTheSameValue() {
    // The level is set from what find() sees; the agent's flags from what picocli parses: they must agree.
    List<Map<String, String>> envs = List.of(Map.of(), Map.of("FLANNELD_V", "5"));
    List<List<String>> lines = List.of(List.of(), List.of("-v=2"), List.of("--v=2"), List.of("-v", "3"),
        List.of("--v", "3"), List.of("-v4"), List.of("--iface=eth0", "-v=1", "--ip-masq"));
    for (Map<String, String> env : envs) {
      for (List<String> args : lines) {
        int parsed = FlagsTest.parse(env, args.toArray(String[]::new)).verbosity;
        assertEquals(parsed, Verbosity.find(args, SUBCOMMANDS, env).map(Verbosity::parse).orElse(0), args + " " + env);
      }
    }
  }

  @Test
  void otherFlagsAndTheirValuesAreNotVerbosity() {
    assertEquals(Optional.empty(), find(Map.of(), "-vmodule=vxlan=4", "-version"));
    assertEquals(Optional.empty(), find(Map.of(), "--etcd-prefix=-v=3", "--iface", "eth0"));
  }

  @Test
  void theEnvironmentUnlessTheCommandLineSaysIt() {
    assertEquals(Optional.of("5"), find(Map.of("FLANNELD_V", "5"), "--iface=eth0"));
    assertEquals(Optional.of("1"), find(Map.of("FLANNELD_V", "5"), "-v=1"));
  }

  @Test
  void onlyTheAgentsOwnOptions() {
    assertTrue(SUBCOMMANDS.containsAll(Set.of("docker-opts", "demo", "help")), SUBCOMMANDS.toString());
    assertEquals(Optional.of("2"), find(Map.of(), "-v=2", "demo", "-v=4"));
    assertEquals(Optional.empty(), find(Map.of(), "docker-opts", "-v=4"));
    assertEquals(Optional.empty(), find(Map.of(), "--", "-v=4"));
  }

  @Test
  void levelsAsFlannelUsesKlogVerbosity() {
    assertEquals("info", Verbosity.slf4jLevel(-1));
    assertEquals("info", Verbosity.slf4jLevel(0));
    assertEquals("debug", Verbosity.slf4jLevel(1));
    assertEquals("debug", Verbosity.slf4jLevel(3));
    assertEquals("trace", Verbosity.slf4jLevel(4));
    assertEquals("trace", Verbosity.slf4jLevel(10));
    assertEquals(Optional.of("debug"), Verbosity.levelFor(List.of("-v=2"), SUBCOMMANDS, Map.of()));
    assertEquals(Optional.empty(), Verbosity.levelFor(List.of("-v=two"), SUBCOMMANDS, Map.of()));
  }

  @Test
  void parseIsKlogsWholeNumber() {
    assertEquals(2, Verbosity.parse("2"));
    assertEquals(-1, Verbosity.parse("-1"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Verbosity.parse("2.5"));
    assertEquals("'2.5' is not a whole number (log verbosity: 0 = info, 1..3 = debug, 4 or more = trace)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Verbosity.parse(""));
  }

  @Test
  void aLevelGivenWithDashDWins() {
    String saved = System.getProperty(Verbosity.LEVEL_PROPERTY);
    try {
      System.setProperty(Verbosity.LEVEL_PROPERTY, "warn");
      assertEquals(Optional.empty(), AgentMain.setLogLevel(List.of("-v=4"), Map.of()));
      assertEquals("warn", System.getProperty(Verbosity.LEVEL_PROPERTY));
      System.clearProperty(Verbosity.LEVEL_PROPERTY);
      assertEquals(Optional.of("trace"), AgentMain.setLogLevel(List.of("-v=4"), Map.of()));
      assertEquals("trace", System.getProperty(Verbosity.LEVEL_PROPERTY));
    } finally {
      if (saved == null) {
        System.clearProperty(Verbosity.LEVEL_PROPERTY);
      } else {
        System.setProperty(Verbosity.LEVEL_PROPERTY, saved);
      }
    }
  }
}
