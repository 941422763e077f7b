package io.overlaynet.examples;

import io.overlaynet.netlink.Netlink;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * The entry point of {@code overlay-agent.jar} (its {@code Main-Class}): sets the log level from
 * {@code -v} / {@code FLANNELD_V}, then runs {@link OverlayAgent}.
 *
 * <pre>
 * java -jar overlay-agent.jar --etcd-endpoints=http://127.0.0.1:2379 -v=2
 * java -cp overlay-agent.jar io.overlaynet.examples.AgentMain --etcd-endpoints=http://127.0.0.1:2379
 * </pre>
 *
 * <p>It exists because slf4j-simple fixes its level when the first logger is made, and loading
 * {@link OverlayAgent} (or netlink) makes one: this class must touch neither before the level is
 * set. A level given with {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=...} wins over
 * {@code -v}.
 */
public final class AgentMain {

  private AgentMain() {}

  /** Runs the agent with {@code args} and exits with its status. */
  public static void main(String[] args) {
    setLogLevel(List.of(args), System.getenv());
    // Binding libc is the slowest step of the agent's start: let it overlap with parsing the
    // flags and the first etcd requests (docs/BENCHMARKS.md, "Control plane").
    Netlink.preloadInBackground();
    System.exit(OverlayAgent.run(args));
  }

  /** Sets slf4j-simple's level from {@code -v} unless the level property is already set; returns the level set. */
  static Optional<String> setLogLevel(List<String> args, Map<String, String> env) {
    if (System.getProperty(Verbosity.LEVEL_PROPERTY) != null) {
      return Optional.empty();
    }
    Optional<String> level = Verbosity.levelFor(args, subcommandNames(), env);
    level.ifPresent(l -> System.setProperty(Verbosity.LEVEL_PROPERTY, l));
    return level;
  }

  /**
   * The names of the agent's subcommands, from {@link OverlayAgent}'s {@code @Command}: reading an
   * annotation loads classes without initialising them, so no logger is made.
   */
  static Set<String> subcommandNames() {
    Set<String> names = new HashSet<>();
    for (Class<?> sub : OverlayAgent.class.getAnnotation(Command.class).subcommands()) {
      Command c = sub.getAnnotation(Command.class);
      names.add(c.name());
      names.addAll(Arrays.asList(c.aliases()));
    }
    return names;
  }
}
