package io.overlaynet.examples;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.overlaynet.Lease;
import io.overlaynet.LeaseCodec;
import io.overlaynet.NetworkConfig;
import io.overlaynet.SubnetEnv;
import io.overlaynet.SubnetFile;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.netlink.Family;
import io.overlaynet.netlink.Link;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.netlink.Route;
import io.overlaynet.store.KeyValue;
import io.overlaynet.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay-agent status}: asks the running agent ({@code GET /status} on its healthz server)
 * and prints its state, its lease and every peer beside what the kernel holds for it, drift
 * marked. With no agent answering it reads etcd and the kernel itself, and says so. Exit status:
 * 0 when the agent runs, is ready and in sync; 1 when it is degraded, not running (also when the
 * direct reading is all there is), drifted, or cannot read the kernel; 2 when nothing could be read.
 *
 * <p>Defaults come from the agent's own settings: {@code FLANNELD_*} variables, then
 * {@code /etc/default/overlay-agent} (the Debian package's), then flanneld's defaults.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show the agent's state, lease and peers, with what the kernel holds for each (drift marked).")
final class StatusCommand implements Callable<Integer> {

  static final Path DEFAULTS_FILE = Path.of("/etc/default/overlay-agent");
  /** The port the docs suggest for --healthz-port, asked when no setting names one. */
  static final int DEFAULT_PORT = 8471;

  @Option(names = {"--healthz-ip", "-healthz-ip"}, description = "the agent's healthz address (default: "
      + "FLANNELD_HEALTHZ_IP, or 127.0.0.1)")
  String healthzIp;

  @Option(names = {"--healthz-port", "-healthz-port"}, description = "the agent's healthz port (default: "
      + "FLANNELD_HEALTHZ_PORT, or " + DEFAULT_PORT + "); 0 reads etcd and the kernel directly")
  Integer healthzPort;

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE})")
  String output;

  @Option(names = {"--etcd-endpoints", "-etcd-endpoints"}, split = ",",
      description = "etcd endpoints, when no agent answers (default: FLANNELD_ETCD_ENDPOINTS or flanneld's)")
  List<String> etcdEndpoints;

  @Option(names = {"--etcd-prefix", "-etcd-prefix"}, description = "etcd prefix (default: FLANNELD_ETCD_PREFIX or "
      + "/coreos.com/network)")
  String etcdPrefix;

  @Option(names = {"--subnet-file", "-subnet-file"}, description = "this node's subnet.env, to tell its own lease "
      + "(default: FLANNELD_SUBNET_FILE or /run/flannel/subnet.env)")
  Path subnetFile;

  @Spec
  CommandSpec spec;

  /** Settings: the environment over the defaults file. */
  private final Map<String, String> settings;

  StatusCommand() {
    this(System.getenv(), DEFAULTS_FILE);
  }

  StatusCommand(Map<String, String> env, Path defaultsFile) {
    Map<String, String> s = new HashMap<>(readDefaults(defaultsFile));
    s.putAll(env);
    this.settings = s;
  }

  /** Reads {@code KEY=value} lines (an EnvironmentFile); a missing or unreadable file is no settings. */
  static Map<String, String> readDefaults(Path file) {
    Map<String, String> m = new HashMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String t = line.trim();
        int eq = t.indexOf('=');
        if (t.isEmpty() || t.startsWith("#") || eq <= 0) {
          continue;
        }
        String v = t.substring(eq + 1).trim();
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
          v = v.substring(1, v.length() - 1);
        }
        m.put(t.substring(0, eq).trim(), v);
      }
    } catch (IOException e) {
      // no file: flanneld's defaults
    }
    return m;
  }

  private String setting(String name, String fallback) {
    String v = settings.get(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!output.equals("table") && !output.equals("json")) {
      err.println("status: invalid -o " + output + ": use table or json");
      return 2;
    }
    String ip = healthzIp != null ? healthzIp : setting("FLANNELD_HEALTHZ_IP", "127.0.0.1");
    if (ip.equals("0.0.0.0") || ip.equals("::")) {
      ip = "127.0.0.1"; // the agent listens everywhere: ask it on loopback
    }
    int port;
    try {
      port = healthzPort != null ? healthzPort : Integer.parseInt(setting("FLANNELD_HEALTHZ_PORT", "" + DEFAULT_PORT));
    } catch (NumberFormatException e) {
      err.println("status: invalid FLANNELD_HEALTHZ_PORT " + settings.get("FLANNELD_HEALTHZ_PORT"));
      return 2;
    }
    String url = "http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port + "/status";
    JsonObject report;
    String note;
    Optional<String> whyNot = Optional.of("--healthz-port is 0");
    if (port > 0) {
      try {
        report = fromAgent(url);
        note = "from the agent at " + url;
        return print(report, note, out);
      } catch (IOException | JsonParseException | IllegalStateException e) {
        whyNot = Optional.of(e instanceof ConnectException ? "connection refused" : String.valueOf(e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 2;
      }
    }
    try {
      report = direct();
    } catch (StoreException | NetlinkException | IllegalArgumentException | UnsupportedOperationException e) {
      err.println("status: no agent answered at " + url + " (" + whyNot.orElse("") + "), and reading etcd and the "
          + "kernel directly failed: " + e.getMessage());
      return 2;
    }
    note = "no agent answered at " + url + " (" + whyNot.orElse("") + "): read etcd "
        + report.get("etcd").getAsString() + " and the kernel directly";
    return print(report, note, out);
  }

  private int print(JsonObject report, String note, PrintWriter out) {
    report.addProperty("note", note);
    if (output.equals("json")) {
      out.print(StatusReport.toJson(report));
    } else {
      out.print(render(report, Instant.now()));
    }
    out.flush();
    // Not running (no agent answered), degraded, drifted, or a kernel that could not be read: 1.
    boolean ok = "READY".equals(str(report, "state")) && !report.has("dataPlaneError")
        && report.get("drift").getAsInt() == 0;
    return ok ? 0 : 1;
  }

  static JsonObject fromAgent(String url) throws IOException, InterruptedException {
    HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + ": " + r.body().strip());
    }
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  /** Reads the leases from etcd and the routes from the kernel; the same JSON shape as the agent's. */
  private JsonObject direct() throws NetlinkException {
    List<String> endpoints = etcdEndpoints != null ? etcdEndpoints
        : List.of(setting("FLANNELD_ETCD_ENDPOINTS", "http://127.0.0.1:4001,http://127.0.0.1:2379").split(","));
    String prefix = etcdPrefix != null ? etcdPrefix : setting("FLANNELD_ETCD_PREFIX", "/coreos.com/network");
    Path envFile = subnetFile != null ? subnetFile : Path.of(setting("FLANNELD_SUBNET_FILE", "/run/flannel/subnet.env"));
    EtcdOptions.Builder b = EtcdOptions.builder().withEndpoints(endpoints).withKeyPrefix(prefix)
        .withRequestTimeout(Duration.ofSeconds(5));
    String key = settings.get("FLANNELD_ETCD_KEYFILE");
    String cert = settings.get("FLANNELD_ETCD_CERTFILE");
    if (key != null && cert != null) {
      String ca = settings.get("FLANNELD_ETCD_CAFILE");
      b.withTls(ca == null ? null : Path.of(ca), Path.of(cert), Path.of(key));
    }
    if (settings.containsKey("FLANNELD_ETCD_USERNAME") || settings.containsKey("FLANNELD_ETCD_PASSWORD")) {
      b.withCredentials(setting("FLANNELD_ETCD_USERNAME", ""), settings.getOrDefault("FLANNELD_ETCD_PASSWORD", ""));
    }
    NetworkConfig config;
    List<Lease> leases = new ArrayList<>();
    try (EtcdStore store = EtcdStore.connect(b.build())) {
      KeyValue cfg = store.get(prefix + "/config").orElseThrow(() -> new IllegalArgumentException(
          "no network config at " + prefix + "/config in etcd " + endpoints));
      config = NetworkConfig.parse(cfg.value());
      for (KeyValue kv : store.list(prefix + "/subnets/").entries()) {
        String k = kv.key().substring(kv.key().lastIndexOf('/') + 1);
        try {
          LeaseCodec.SubnetKey sk = LeaseCodec.parseSubnetKey(k);
          leases.add(new Lease(sk.subnet(), sk.ipv6Subnet(), LeaseCodec.parseAttrs(kv.value()), Optional.empty()));
        } catch (IllegalArgumentException e) {
          // a malformed lease is not this command's to judge: the agent skips it too
        }
      }
    }
    Optional<String> own = Optional.empty();
    try {
      Optional<SubnetEnv> env = SubnetFile.read(envFile);
      if (env.isPresent()) {
        own = Optional.of(LeaseCodec.subnetKey(env.get().subnet().orElse(Ip4Net.EMPTY), env.get().ipv6Subnet()));
      }
    } catch (IOException | IllegalArgumentException e) {
      // no subnet.env: every lease is listed as a peer
    }
    List<Route> routes = new ArrayList<>();
    Map<Integer, String> names = new HashMap<>();
    try (NetlinkHandle nl = NetlinkHandle.open()) {
      if (config.enableIpv4()) {
        routes.addAll(nl.routeList(Family.V4));
      }
      if (config.enableIpv6()) {
        routes.addAll(nl.routeList(Family.V6));
      }
      for (Link l : nl.linkList()) {
        names.put(l.index(), l.name());
      }
    }
    KernelInspector.Result r = KernelInspector.inspect(config, leases, own, routes, names);
    JsonObject o = new JsonObject();
    o.addProperty("source", "direct");
    o.addProperty("etcd", String.join(",", endpoints));
    o.addProperty("backend", config.backend().type());
    String ownKey = own.orElse("");
    o.add("lease", leases.stream().filter(l -> l.key().equals(ownKey)).findFirst().<JsonElement>map(StatusReport::lease)
        .orElse(JsonNull.INSTANCE));
    StatusReport.addDataPlane(o, r.peers(), r.stale());
    return o;
  }

  // ------------------------------------------------------------------ rendering

  /** Renders a report (an agent's or a direct one) as a table a person reads at a glance. */
  static String render(JsonObject r, Instant now) {
    StringBuilder b = new StringBuilder();
    if (r.has("note")) {
      b.append(r.get("note").getAsString()).append("\n\n");
    }
    String state = str(r, "state");
    if (state != null) {
      b.append("State:    ").append(state);
      JsonArray problems = r.getAsJsonArray("problems");
      if (problems != null && problems.size() > 0) {
        List<String> names = new ArrayList<>();
        problems.forEach(e -> names.add(e.getAsString()));
        b.append(" [").append(String.join(", ", names)).append(']');
      }
      String since = str(r, "since");
      if (since != null) {
        b.append(" since ").append(since);
      }
      b.append('\n');
      String reason = str(r, "reason");
      if (reason != null) {
        b.append("Reason:   ").append(reason).append('\n');
      }
    } else {
      b.append("State:    unknown (no agent answered)\n");
    }
    b.append("Backend:  ").append(Optional.ofNullable(str(r, "backend")).orElse("-")).append('\n');
    JsonElement lease = r.get("lease");
    if (lease != null && lease.isJsonObject()) {
      JsonObject l = lease.getAsJsonObject();
      b.append("Lease:    ").append(subnets(l)).append(" (public IP ").append(publicIps(l)).append(')');
      String exp = str(l, "expiration");
      if (exp != null) {
        b.append(", expires ").append(exp).append(" (").append(until(exp, now)).append(')');
      }
      b.append('\n');
    } else {
      b.append("Lease:    none known\n");
    }
    JsonArray peers = r.getAsJsonArray("peers");
    int drift = r.get("drift").getAsInt();
    b.append("Peers:    ").append(peers.size()).append(", ").append(drift == 0 ? "no drift" : drift + " drifted")
        .append('\n');
    if (r.has("dataPlaneError")) {
      b.append("Kernel:   cannot be read: ").append(r.get("dataPlaneError").getAsString()).append('\n');
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"SUBNET", "PUBLIC IP", "TYPE", "KERNEL", "DRIFT"});
    for (JsonElement e : peers) {
      JsonObject p = e.getAsJsonObject();
      String[] head = {subnets(p), publicIps(p), Optional.ofNullable(str(p, "backendType")).filter(s -> !s.isEmpty())
          .orElse("-")};
      JsonArray entries = p.getAsJsonArray("entries");
      String error = str(p, "lastError");
      if (entries.size() == 0) {
        rows.add(row(head, error != null ? "error: " + error : "(nothing programmed)", error != null ? "ERROR" : "-"));
        continue;
      }
      for (int i = 0; i < entries.size(); i++) {
        JsonObject en = entries.get(i).getAsJsonObject();
        rows.add(row(i == 0 ? head : new String[] {"", "", ""}, en.get("kind").getAsString() + " "
            + en.get("description").getAsString(), mark(en.get("drift").getAsString())));
      }
      if (error != null) {
        rows.add(row(new String[] {"", "", ""}, "error: " + error, "ERROR"));
      }
    }
    for (JsonElement e : r.getAsJsonArray("stale")) {
      JsonObject en = e.getAsJsonObject();
      rows.add(row(new String[] {"(no lease)", "-", "-"}, en.get("kind").getAsString() + " "
          + en.get("description").getAsString(), mark(en.get("drift").getAsString())));
    }
    b.append('\n').append(table(rows));
    return b.toString();
  }

  private static String[] row(String[] head, String kernel, String drift) {
    return new String[] {head[0], head[1], head[2], kernel, drift};
  }

  /** OK in lower case, drift in capitals, so that it stands out. */
  private static String mark(String drift) {
    return drift.equals("OK") ? "ok" : drift;
  }

  private static String table(List<String[]> rows) {
    int[] w = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(i == r.length - 1 ? r[i] : String.format(Locale.ROOT, "%-" + (w[i] + 2) + "s", r[i]));
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }

  private static String subnets(JsonObject l) {
    List<String> s = new ArrayList<>(2);
    Optional.ofNullable(str(l, "subnet")).ifPresent(s::add);
    Optional.ofNullable(str(l, "ipv6Subnet")).ifPresent(s::add);
    return s.isEmpty() ? "-" : String.join(" ", s);
  }

  private static String publicIps(JsonObject l) {
    List<String> s = new ArrayList<>(2);
    Optional.ofNullable(str(l, "publicIp")).ifPresent(s::add);
    Optional.ofNullable(str(l, "publicIpv6")).ifPresent(s::add);
    return s.isEmpty() ? "-" : String.join(" ", s);
  }

  private static String until(String iso, Instant now) {
    try {
      Duration d = Duration.between(now, Instant.parse(iso));
      if (d.isNegative()) {
        return "expired";
      }
      return d.toHours() > 0 ? "in " + d.toHours() + "h " + d.toMinutesPart() + "m" : "in " + d.toMinutes() + "m "
          + d.toSecondsPart() + "s";
    } catch (DateTimeParseException e) {
      return "?";
    }
  }

  private static String str(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }
}
