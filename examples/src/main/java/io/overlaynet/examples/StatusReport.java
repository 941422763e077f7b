package io.overlaynet.examples;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonWriter;
import io.overlaynet.DataPlaneEntry;
import io.overlaynet.DataPlaneView;
import io.overlaynet.Lease;
import io.overlaynet.OverlayException;
import io.overlaynet.PeerStatus;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentState;
import java.io.IOException;
import java.io.Writer;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON of {@code GET /status} and of {@code overlay-agent status -o json}: the agent's state,
 * its lease, and per peer what the backend programmed with the kernel's drift. One shape for both
 * sources (a running agent, or etcd and the kernel read directly), so one renderer prints both.
 *
 * <pre>
 * {"source":"agent","version":"overlaynet 0.1.0 ...","state":"READY","problems":[],"reason":null,
 *  "since":"2026-12-01T15:40:01Z","backend":"vxlan",
 *  "lease":{"subnet":"10.5.3.0/24","ipv6Subnet":null,"publicIp":"192.0.2.11","publicIpv6":null,
 *           "expiration":"2026-12-02T15:40:01Z"},
 *  "peers":[{"subnet":"10.5.60.0/24",...,"inSync":false,"lastError":null,
 *            "entries":[{"kind":"route","description":"10.5.60.0/24 via 10.5.60.0 dev flannel.1 onlink","drift":"MISSING"}]}],
 *  "stale":[],"drift":1}
 * </pre>
 */
final class StatusReport {

  private StatusReport() {}

  private static final Gson GSON = new GsonBuilder().serializeNulls().create();
  private static final Comparator<PeerStatus> BY_SUBNET = Comparator.comparing((PeerStatus p) -> p.lease().subnet())
      .thenComparing(p -> p.lease().ipv6Subnet().map(Object::toString).orElse("")).thenComparing(p -> p.lease().key());

  /** The report's fields about the agent itself: everything but the data plane. */
  static JsonObject header(Agent agent) {
    JsonObject o = new JsonObject();
    o.addProperty("source", "agent");
    o.addProperty("version", OverlayAgent.VERSION);
    AgentState s = agent.state();
    o.addProperty("state", s.phase().name());
    JsonArray problems = new JsonArray();
    s.problems().stream().map(Enum::name).sorted().forEach(problems::add);
    o.add("problems", problems);
    o.add("reason", text(s.reason()));
    o.addProperty("since", s.since().toString());
    o.add("backend", text(agent.networkConfig().map(c -> c.backend().type())));
    o.add("lease", agent.lease().<JsonElement>map(StatusReport::lease).orElse(JsonNull.INSTANCE));
    return o;
  }

  /** A report read and ready to be written: the agent's fields and its data plane. */
  record Prepared(JsonObject head, DataPlaneView view) {}

  /**
   * Reads an agent's report (its data plane from the kernel, through the backend) before anything
   * is sent, so that a failure can still be answered as one; a kernel that cannot be read is
   * reported in {@code dataPlaneError}.
   */
  static Prepared prepare(Agent agent) {
    JsonObject head = header(agent);
    DataPlaneView view;
    try {
      view = agent.dataPlane();
    } catch (OverlayException | UnsupportedOperationException e) {
      head.addProperty("dataPlaneError", e.getMessage());
      view = DataPlaneView.UNKNOWN;
    }
    return new Prepared(head, view);
  }

  /**
   * Writes a prepared report as compact JSON, one peer at a time: with thousands of peers the
   * whole document is never held in memory.
   */
  static void write(Prepared report, Writer out) throws IOException {
    JsonObject head = report.head();
    DataPlaneView view = report.view();
    JsonWriter w = new JsonWriter(out);
    w.setSerializeNulls(true);
    w.beginObject();
    for (Map.Entry<String, JsonElement> e : head.entrySet()) {
      w.name(e.getKey());
      GSON.toJson(e.getValue(), w);
    }
    int drift = view.stale().size();
    w.name("peers").beginArray();
    for (PeerStatus p : view.peers().stream().sorted(BY_SUBNET).toList()) {
      GSON.toJson(peer(p), w);
      drift += drift(p);
    }
    w.endArray();
    w.name("stale");
    GSON.toJson(entries(view.stale()), w);
    w.name("drift").value(drift);
    w.endObject();
    w.flush();
  }

  /** Adds {@code peers} (sorted by subnet), {@code stale} and the {@code drift} count. */
  static void addDataPlane(JsonObject o, List<PeerStatus> peers, List<DataPlaneEntry> stale) {
    JsonArray ps = new JsonArray();
    int drift = stale.size();
    for (PeerStatus p : peers.stream().sorted(BY_SUBNET).toList()) {
      ps.add(peer(p));
      drift += drift(p);
    }
    o.add("peers", ps);
    o.add("stale", entries(stale));
    o.addProperty("drift", drift);
  }

  /** One peer: its lease's subnets and addresses, its entries with their drift, its last error. */
  static JsonObject peer(PeerStatus p) {
    JsonObject j = lease(p.lease());
    j.addProperty("backendType", p.lease().attrs().backendType());
    j.addProperty("inSync", p.inSync());
    j.add("lastError", text(p.lastError()));
    j.add("entries", entries(p.entries()));
    return j;
  }

  private static int drift(PeerStatus p) {
    return (int) p.entries().stream().filter(e -> e.drift() != DataPlaneEntry.Drift.OK).count();
  }

  static JsonObject lease(Lease l) {
    JsonObject j = new JsonObject();
    j.add("subnet", l.subnet().isEmpty() ? JsonNull.INSTANCE : new JsonPrimitive(l.subnet().toString()));
    j.add("ipv6Subnet", text(l.ipv6Subnet().map(Object::toString)));
    j.add("publicIp", l.attrs().publicIp().isUnspecified() ? JsonNull.INSTANCE
        : new JsonPrimitive(l.attrs().publicIp().toString()));
    j.add("publicIpv6", text(l.attrs().publicIpv6().map(Object::toString)));
    j.add("expiration", text(l.expiration().map(Object::toString)));
    return j;
  }

  private static JsonArray entries(List<DataPlaneEntry> entries) {
    JsonArray a = new JsonArray();
    for (DataPlaneEntry e : entries) {
      JsonObject j = new JsonObject();
      j.addProperty("kind", e.kind());
      j.addProperty("description", e.description());
      j.addProperty("drift", e.drift().name());
      a.add(j);
    }
    return a;
  }

  private static JsonElement text(Optional<String> s) {
    return s.<JsonElement>map(JsonPrimitive::new).orElse(JsonNull.INSTANCE);
  }

  /** Returns the report as indented JSON with nulls kept (a reader sees every field). */
  static String toJson(JsonObject o) {
    return new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(o) + "\n";
  }
}
