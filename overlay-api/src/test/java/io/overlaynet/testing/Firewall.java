package io.overlaynet.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Commands for firewall tests: named network namespaces ({@code ip netns add}), commands run in
 * them, and the namespace's firewall read back as {@code nft -j list ruleset} (handles and nft's
 * version dropped) or as the flannel lines of {@code iptables-save}.
 *
 * <pre>{@code
 * String ns = Firewall.addNamespace("ovn-nft");
 * JsonArray rules = Firewall.ruleset(ns);
 * Firewall.deleteNamespace(ns);
 * }</pre>
 */
public final class Firewall {

  private Firewall() {}

  /** Fails the test unless {@code nft}, {@code ip} and the iptables-restore binaries are installed, saying what to install. */
  public static void requireTools() {
    Prerequisites.requireRoot();
    Prerequisites.require(Files.isExecutable(Path.of("/usr/sbin/nft")), "the nft command (/usr/sbin/nft)",
        "apt-get install nftables");
    Prerequisites.require(Files.isExecutable(Path.of("/usr/sbin/iptables-restore"))
        && Files.isExecutable(Path.of("/usr/sbin/ip6tables-restore")), "iptables-restore", "apt-get install iptables");
    Prerequisites.require(Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
        .anyMatch(p -> Files.isExecutable(Path.of(p))), "the ip command", "apt-get install iproute2");
  }

  /** Creates a namespace named {@code prefix-<random hex>} and returns its name. */
  public static String addNamespace(String prefix) throws Exception {
    String ns = prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    run("ip", "netns", "add", ns);
    return ns;
  }

  /** Deletes the namespace (its veths go with it). */
  public static void deleteNamespace(String ns) throws Exception {
    run("ip", "netns", "del", ns);
  }

  /** Returns the words that run a command in {@code ns}. */
  public static List<String> prefix(String ns) {
    return List.of("ip", "netns", "exec", ns);
  }

  /** Runs {@code command} in {@code ns} and returns its output. */
  public static String in(String ns, String... command) throws Exception {
    List<String> full = new ArrayList<>(prefix(ns));
    full.addAll(List.of(command));
    return run(full);
  }

  /**
   * Returns {@code nft -j list ruleset} of {@code ns} without nft's {@code metainfo} item and
   * without the kernel's handles, so that it compares to a golden.
   */
  public static JsonArray ruleset(String ns) throws Exception {
    return withoutHandles(JsonParser.parseString(in(ns, "nft", "-j", "list", "ruleset"))
        .getAsJsonObject().getAsJsonArray("nftables"));
  }

  /** Returns {@code items} (nft's JSON array) without {@code metainfo} items and without handles. */
  public static JsonArray withoutHandles(JsonArray items) {
    JsonArray out = new JsonArray();
    for (JsonElement item : items) {
      JsonObject o = item.getAsJsonObject().deepCopy();
      if (o.has("metainfo")) {
        continue;
      }
      o.entrySet().forEach(e -> e.getValue().getAsJsonObject().remove("handle"));
      out.add(o);
    }
    return out;
  }

  /**
   * Returns {@code items} grouped by table (stable within a table), for comparisons where the
   * order of the tables does not matter: a table nft recreated is listed after the others.
   */
  public static JsonArray byTable(JsonArray items) {
    List<JsonElement> list = new ArrayList<>();
    items.forEach(list::add);
    list.sort(java.util.Comparator.comparing(Firewall::tableOf));
    JsonArray out = new JsonArray();
    list.forEach(out::add);
    return out;
  }

  private static String tableOf(JsonElement item) {
    JsonObject o = item.getAsJsonObject().entrySet().iterator().next().getValue().getAsJsonObject();
    String table = o.has("table") ? o.get("table").getAsString() : o.has("name") ? o.get("name").getAsString() : "";
    return (o.has("family") ? o.get("family").getAsString() : "") + " " + table;
  }

  /** Returns the lines of {@code iptables-save} and {@code ip6tables-save} in {@code ns} that name a flannel chain or comment. */
  public static List<String> iptablesFlannelLines(String ns) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String save : List.of("iptables-save", "ip6tables-save")) {
      in(ns, save).lines().filter(l -> l.contains("flanneld") || l.contains("FLANNEL-")).forEach(lines::add);
    }
    return lines;
  }

  /** Runs {@code command}; fails the test if it exits non-zero or runs over 10 s. */
  public static String run(String... command) throws IOException, InterruptedException {
    return run(List.of(command));
  }

  /** Runs {@code command}; fails the test if it exits non-zero or runs over 10 s. */
  public static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError(command + " failed (" + p.exitValue() + "): " + text);
    }
    return text;
  }
}
