package io.overlaynet;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes and reads flannel's {@code subnet.env} (default {@code /run/flannel/subnet.env}).
 *
 * <p>The format and order are flannel's ({@code WriteSubnetFile}):
 *
 * <pre>
 * FLANNEL_NETWORK=10.5.0.0/16
 * FLANNEL_SUBNET=10.5.72.1/24
 * FLANNEL_MTU=1450
 * FLANNEL_IPMASQ=true
 * </pre>
 *
 * <p>with {@code FLANNEL_IPV6_NETWORK} / {@code FLANNEL_IPV6_SUBNET} after the IPv4 lines when IPv6
 * is enabled. The file is written to a temporary file in the same directory and renamed, so a
 * reader never sees half a file.
 */
public final class SubnetFile {

  private static final Logger log = LoggerFactory.getLogger(SubnetFile.class);

  private SubnetFile() {}

  /** Returns the file text, in flannel's order. */
  public static String render(SubnetEnv env) {
    StringBuilder sb = new StringBuilder();
    env.network().ifPresent(n -> sb.append("FLANNEL_NETWORK=").append(n).append('\n'));
    env.subnet().ifPresent(s -> sb.append("FLANNEL_SUBNET=").append(s.address().plus(1)).append('/')
        .append(s.prefixLength()).append('\n'));
    env.ipv6Network().ifPresent(n -> sb.append("FLANNEL_IPV6_NETWORK=").append(n).append('\n'));
    env.ipv6Subnet().ifPresent(s -> sb.append("FLANNEL_IPV6_SUBNET=").append(s.address().plus(1)).append('/')
        .append(s.prefixLength()).append('\n'));
    sb.append("FLANNEL_MTU=").append(env.mtu()).append('\n');
    sb.append("FLANNEL_IPMASQ=").append(env.ipMasq()).append('\n');
    return sb.toString();
  }

  /**
   * Writes {@code env} to {@code path} atomically: directory 0755 if created, file 0644.
   *
   * @throws IOException if the directory or file cannot be written
   */
  public static void write(Path path, SubnetEnv env) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
    Path tmp = dir.resolve("." + path.getFileName() + ".tmp");
    Files.writeString(tmp, render(env), StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
    try {
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Reads a subnet file back, as flanneld does at start to find its previous subnet. Values that
   * do not parse, or hold more than one comma-separated entry, are treated as absent (with a
   * warning) rather than failing the start.
   *
   * @return the contents, or empty if the file does not exist
   * @throws IOException if the file exists but cannot be read
   */
  public static Optional<SubnetEnv> read(Path path) throws IOException {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Map<String, String> vars = parseVariables(text);
    Optional<Ip4Net> network = value(vars, "FLANNEL_NETWORK", path, Ip4Net::parse);
    Optional<Ip4Net> subnet = value(vars, "FLANNEL_SUBNET", path, Ip4Net::parse);
    Optional<Ip6Net> network6 = value(vars, "FLANNEL_IPV6_NETWORK", path, Ip6Net::parse);
    Optional<Ip6Net> subnet6 = value(vars, "FLANNEL_IPV6_SUBNET", path, Ip6Net::parse);
    int mtu = value(vars, "FLANNEL_MTU", path, Integer::valueOf).orElse(0);
    boolean masq = value(vars, "FLANNEL_IPMASQ", path, s -> Boolean.valueOf(s.toLowerCase(Locale.ROOT)))
        .orElse(false);
    return Optional.of(new SubnetEnv(network, subnet, network6, subnet6, mtu, masq));
  }

  private static <T> Optional<T> value(Map<String, String> vars, String name, Path path, Function<String, T> parser) {
    String raw = vars.get(name);
    if (raw == null || raw.isEmpty()) {
      return Optional.empty();
    }
    if (raw.contains(",")) {
      log.warn("{} in {} holds several values ({}); ignoring it", name, path, raw);
      return Optional.empty();
    }
    try {
      return Optional.of(parser.apply(raw));
    } catch (IllegalArgumentException e) {
      log.warn("{} in {} is not valid ({}); ignoring it", name, path, raw);
      return Optional.empty();
    }
  }

  /**
   * Parses {@code KEY=VALUE} lines as a shell sourcing them would, for the simple cases flannel's
   * files use: comments, blank lines, {@code export}, single or double quotes.
   */
  public static Map<String, String> parseVariables(String text) {
    Map<String, String> vars = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String l = line.trim();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (l.startsWith("export ")) {
        l = l.substring("export ".length()).trim();
      }
      int eq = l.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String v = l.substring(eq + 1).trim();
      if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
        v = v.substring(1, v.length() - 1);
      }
      vars.put(l.substring(0, eq).trim(), v);
    }
    return vars;
  }
}
