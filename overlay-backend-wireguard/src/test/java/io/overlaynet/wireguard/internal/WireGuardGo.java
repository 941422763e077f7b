package io.overlaynet.wireguard.internal;

import io.overlaynet.netlink.NetNs;
import io.overlaynet.testing.Prerequisites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real WireGuard peer for interop tests: Debian's {@code wireguard-go} running in a test
 * namespace, configured with {@code wg} as a flannel node's kernel WireGuard would be. Interface
 * names are random: the UAPI socket directory ({@code /var/run/wireguard}) is shared by every
 * namespace. {@code WG_PROCESS_FOREGROUND} is never passed on (with a value other than 1
 * wireguard-go re-executes itself without end); {@code -f} keeps it in the foreground.
 */
public final class WireGuardGo implements AutoCloseable {

  private final NetNs ns;
  private final String name;
  private final Process process;
  private final Path log;

  private WireGuardGo(NetNs ns, String name, Process process, Path log) {
    this.ns = ns;
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Fails with what to install unless wireguard-go and wg are there. */
  public static void requireInstalled() {
    Prerequisites.requireRoot();
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/wireguard-go")), "/usr/bin/wireguard-go",
        "apt-get install wireguard-go wireguard-tools");
    Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/wg")), "/usr/bin/wg",
        "apt-get install wireguard-go wireguard-tools");
  }

  /** Starts {@code wireguard-go -f} in {@code ns}; returns once its interface exists. */
  public static WireGuardGo start(NetNs ns, Path dir) throws IOException, InterruptedException {
    requireInstalled();
    String name = String.format("ovwg%04x", ThreadLocalRandom.current().nextInt(0x10000));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns.name(), "/usr/bin/wireguard-go", "-f", name)
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("WG_PROCESS_FOREGROUND");
    pb.environment().put("LOG_LEVEL", "debug");
    Process p = pb.start();
    WireGuardGo wg = new WireGuardGo(ns, name, p, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!wg.run("ip", "link", "show", name).ok()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        wg.close();
        throw new IOException("wireguard-go did not create " + name + ": " + Files.readString(log));
      }
      Thread.sleep(20);
    }
    return wg;
  }

  /** The interface's name (also its UAPI socket's). */
  public String name() {
    return name;
  }

  /** Returns wireguard-go's log so far (debug level). */
  public String log() throws IOException {
    return Files.readString(log);
  }

  /** A command's exit status and output. */
  public record Result(int exit, String output) {
    /** Whether the command succeeded. */
    public boolean ok() {
      return exit == 0;
    }
  }

  /** Runs a command in the peer's namespace. */
  public Result run(String... cmd) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, out + " (timed out)");
    }
    return new Result(p.exitValue(), out);
  }

  /** Runs {@code wg set <name> args...}; fails with wg's output. */
  public void set(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("wg", "set", name));
    cmd.addAll(List.of(args));
    Result r = run(cmd.toArray(String[]::new));
    if (!r.ok()) {
      throw new IOException(String.join(" ", cmd) + ": " + r.output());
    }
  }

  /**
   * Configures it as a flannel node's WireGuard: {@code key} (written to a file beside its log,
   * mode 0600), the listen port, {@code address} (e.g. {@code 10.5.2.0/32}) on its interface, MTU
   * 1420, up, and a route for {@code route} (the Network) over it.
   */
  public void configure(PrivateKey key, int port, String address, String route) throws IOException, InterruptedException {
    Path file = log.resolveSibling(name + ".key");
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, key.toBase64Ascii());
    set("private-key", file.toString(), "listen-port", String.valueOf(port));
    for (String[] cmd : new String[][] {{"ip", "addr", "add", address, "dev", name},
        {"ip", "link", "set", name, "mtu", "1420", "up"}, {"ip", "route", "add", route, "dev", name}}) {
      Result r = run(cmd);
      if (!r.ok()) {
        throw new IOException(String.join(" ", cmd) + ": " + r.output());
      }
    }
  }

  /** Adds a peer as flannel does per lease: its key, its subnet as allowed IPs, its endpoint. */
  public void addPeer(PublicKey key, String allowedIps, String endpoint) throws IOException, InterruptedException {
    set("peer", key.toBase64(), "allowed-ips", allowedIps, "endpoint", endpoint);
  }

  /** Sets {@code psk} for peer {@code key} (written to a file beside its log, mode 0600). */
  public void setPresharedKey(PublicKey key, PresharedKey psk) throws IOException, InterruptedException {
    Path file = Files.createTempFile(log.getParent(), name + "-psk", ".key",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, psk.toBase64Ascii());
    set("peer", key.toBase64(), "preshared-key", file.toString());
  }

  /**
   * Returns a number {@code wg show <name> <what>} prints for peer {@code key}: column
   * {@code column} after the key (e.g. {@code latest-handshakes} 0: unix seconds; {@code transfer}
   * 0: bytes received, 1: bytes sent).
   */
  public long show(String what, PublicKey key, int column) throws IOException, InterruptedException {
    Result r = run("wg", "show", name, what);
    for (String line : r.output().split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length > column + 1 && f[0].equals(key.toBase64())) {
        return Long.parseLong(f[column + 1]);
      }
    }
    throw new IOException("wg show " + name + " " + what + ": no peer " + key.toBase64() + " in " + r.output());
  }

  /** Returns {@code wg show <name> dump} (tab-separated: the interface, then one line per peer). */
  public String dump() throws IOException, InterruptedException {
    return run("wg", "show", name, "dump").output();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      // wireguard-go removes its interface and socket when it ends; make sure of it.
      run("ip", "link", "del", name);
    } catch (IOException e) {
      // the namespace may be gone already
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Returns the CPU time (user + system) wireguard-go used so far, from {@code /proc/<pid>/stat}. */
  long cpuNanos() throws IOException {
    String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // Fields 14 and 15 (utime, stime), counted after the command's closing parenthesis, in clock ticks of 10 ms.
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }
}
