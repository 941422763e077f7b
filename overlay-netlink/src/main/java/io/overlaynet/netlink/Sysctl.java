package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads and writes {@code /proc/sys} for one network namespace. {@code net.*} entries are
 * per-namespace and the kernel picks the namespace of the thread that opens the file, so a view
 * of another namespace does each access on a thread inside it.
 *
 * <pre>{@code
 * Sysctl s = Sysctl.in(hostNs);
 * s.set("net.ipv4.ip_forward", "1");                      // sysctl -w net.ipv4.ip_forward=1
 * s.set("net/ipv6/conf/flannel.1/accept_ra", "0");         // '/' form: names with dots
 * }</pre>
 */
public final class Sysctl {

  private static final Path ROOT = Path.of("/proc/sys");

  private final NetNs ns;

  private Sysctl(NetNs ns) {
    this.ns = ns;
  }

  /** Returns a view of the calling thread's namespace (at the time of each call). */
  public static Sysctl current() {
    return new Sysctl(null);
  }

  /** Returns a view of {@code ns}; {@code ns} must stay open while the view is used. */
  public static Sysctl in(NetNs ns) {
    return new Sysctl(java.util.Objects.requireNonNull(ns, "ns"));
  }

  /**
   * Maps a key to its file: {@code net.ipv4.ip_forward} (dots) or {@code net/ipv4/conf/eth0.1/rp_filter}
   * (slashes, needed when a device name contains dots).
   *
   * @throws IllegalArgumentException for an empty key or one containing ".."
   */
  static Path pathOf(String key) {
    checkArgument(key != null && !key.isEmpty() && !key.contains(".."), "invalid sysctl key: %s", key);
    String rel = key.contains("/") ? key : key.replace('.', '/');
    while (rel.startsWith("/")) {
      rel = rel.substring(1);
    }
    return ROOT.resolve(rel);
  }

  /**
   * Returns the value, trimmed. Equivalent to: {@code sysctl -n KEY}.
   *
   * @throws IOException if the entry does not exist or cannot be read
   */
  public String get(String key) throws IOException {
    Path p = pathOf(key);
    return access(() -> Files.readString(p, StandardCharsets.UTF_8).trim());
  }

  /**
   * Writes the value. Equivalent to: {@code sysctl -w KEY=VALUE}.
   *
   * @throws IOException if the entry does not exist or the value is rejected
   */
  public void set(String key, String value) throws IOException {
    Path p = pathOf(key);
    access(() -> {
      Files.writeString(p, value + "\n", StandardCharsets.UTF_8);
      return null;
    });
  }

  /**
   * Turns IPv4 forwarding on or off. Equivalent to: {@code sysctl -w net.ipv4.ip_forward=1}.
   *
   * @throws IOException if the write fails
   */
  public void setIpForward(boolean on) throws IOException {
    set("net.ipv4.ip_forward", on ? "1" : "0");
  }

  private <T> T access(NetNs.Task<T, IOException> task) throws IOException {
    return ns == null ? task.call() : ns.run(task);
  }

  @Override
  public String toString() {
    return "Sysctl{" + (ns == null ? "current netns" : ns) + "}";
  }
}
