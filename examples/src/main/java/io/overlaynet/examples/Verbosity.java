package io.overlaynet.examples;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * klog's {@code -v=N} for the example agent, mapped onto SLF4J levels the way flannel uses its
 * verbosity (flannel's {@code log.V(n)} calls): {@code V(1)} says which device it found or reused
 * and {@code V(2)} adds a line per peer added or removed and per clean-up failure, which
 * overlaynet logs at DEBUG; {@code V(4)} and {@code V(6)} trace single netlink calls, watch
 * revisions and iptables-restore payloads, which is TRACE here.
 *
 * <table>
 * <caption>-v and the log level</caption>
 * <tr><th>-v</th><th>level</th></tr>
 * <tr><td>0 (the default; below 0 the same)</td><td>INFO</td></tr>
 * <tr><td>1 to 3</td><td>DEBUG</td></tr>
 * <tr><td>4 and more</td><td>TRACE</td></tr>
 * </table>
 *
 * <p>slf4j-simple reads its level once, when the first logger is made, so {@link AgentMain} finds
 * {@code -v} on the command line (or {@code FLANNELD_V}) before anything logs, as picocli will
 * parse it afterwards: {@link #find} and {@link #parse} follow picocli's reading of the option.
 */
final class Verbosity {

  /** slf4j-simple's level property; one given with {@code -D} wins over {@code -v}. */
  static final String LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  /** {@code -v2}: picocli's short option with its value attached. */
  private static final Pattern ATTACHED = Pattern.compile("-v[+-]?[0-9]+");

  private Verbosity() {}

  /**
   * Parses a {@code -v} value as klog does: a whole number (a sign allowed).
   *
   * @throws IllegalArgumentException if {@code value} is not one
   */
  static int parse(String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + value + "' is not a whole number (log verbosity: 0 = info,"
          + " 1..3 = debug, 4 or more = trace)");
    }
  }

  /** Returns slf4j-simple's name of the level for verbosity {@code v}. */
  static String slf4jLevel(int v) {
    if (v <= 0) {
      return "info";
    }
    return v <= 3 ? "debug" : "trace";
  }

  /**
   * Returns the {@code -v} value of the agent's command line ({@code -v N}, {@code -v=N},
   * {@code --v N}, {@code --v=N}, {@code -vN}; the last one given), else {@code FLANNELD_V} from
   * {@code env}, unparsed. Only the agent's own options count: the search stops at {@code --} and
   * at the first of {@code subcommands}.
   */
  static Optional<String> find(List<String> args, Set<String> subcommands, Map<String, String> env) {
    String found = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--") || subcommands.contains(a)) {
        break;
      }
      if (a.equals("-v") || a.equals("--v")) {
        if (i + 1 < args.size()) {
          found = args.get(++i);
        }
      } else if (a.startsWith("-v=") || a.startsWith("--v=")) {
        found = a.substring(a.indexOf('=') + 1);
      } else if (ATTACHED.matcher(a).matches()) {
        found = a.substring(2);
      }
    }
    return Optional.ofNullable(found).or(() -> Optional.ofNullable(env.get("FLANNELD_V")));
  }

  /** The level, by the rules above, for the agent's command line and environment; empty if neither sets {@code -v} validly. */
  static Optional<String> levelFor(List<String> args, Set<String> subcommands, Map<String, String> env) {
    return find(args, subcommands, env).flatMap(v -> {
      try {
        return Optional.of(slf4jLevel(parse(v)));
      } catch (IllegalArgumentException e) {
        return Optional.empty(); // picocli reports it, with the usage hint, and exits 2
      }
    });
  }

  /** picocli's converter for {@code -v}: the same parsing, the same message. */
  static final class Converter implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
