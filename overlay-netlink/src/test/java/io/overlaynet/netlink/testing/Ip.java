package io.overlaynet.netlink.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2 ({@code ip}, {@code bridge}) in a named namespace and parses its JSON output:
 * the independent tool the kernel tests check the library against.
 *
 * <pre>{@code
 * JsonArray links = Ip.json("ovt-1234", "ip", "-d", "link", "show", "dev", "vxlan2");
 * Ip.run("ovt-1234", "ip", "link", "add", "br9", "type", "bridge");
 * }</pre>
 */
public final class Ip {

  private Ip() {}

  /**
   * Runs {@code tool args...} inside {@code netns} ({@code ip -n} / {@code bridge -n}); returns stdout.
   *
   * @throws IOException if the command fails or times out
   */
  public static String run(String netns, String tool, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool);
    if (netns != null) {
      cmd.add("-n");
      cmd.add(netns);
    }
    cmd.addAll(Arrays.asList(args));
    return exec(cmd);
  }

  /**
   * Runs a command line as is; returns stdout.
   *
   * @throws IOException if it exits non-zero or takes longer than 20 s
   */
  public static String exec(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    try {
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      byte[] err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + cmd);
      }
      if (p.exitValue() != 0) {
        throw new IOException(cmd + " exited " + p.exitValue() + ": " + new String(err, StandardCharsets.UTF_8));
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + cmd, e);
    }
  }

  /**
   * Runs {@code tool -j args...} inside {@code netns} and parses the JSON array it prints.
   *
   * @throws IOException if the command fails
   */
  public static JsonArray json(String netns, String tool, String... args) throws IOException {
    String[] withJ = new String[args.length + 1];
    withJ[0] = "-j";
    System.arraycopy(args, 0, withJ, 1, args.length);
    String out = run(netns, tool, withJ).trim();
    if (out.isEmpty()) {
      return new JsonArray();
    }
    JsonElement e = JsonParser.parseString(out);
    return e.isJsonArray() ? e.getAsJsonArray() : new JsonArray();
  }

  /**
   * Returns the single object of {@code ip -j ... show dev NAME}.
   *
   * @throws IOException if the command fails or does not print exactly one object
   */
  public static JsonObject one(String netns, String tool, String... args) throws IOException {
    JsonArray a = json(netns, tool, args);
    if (a.size() != 1) {
      throw new IOException("expected one object, got " + a);
    }
    return a.get(0).getAsJsonObject();
  }
}
