package io.overlaynet.traffic;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One nftables table as {@code nft -j list table} shows it, reduced to what comparing needs: the
 * table object, each chain object by name, each chain's rules in order, and any other object
 * (set, map, ...). Kernel handles are dropped, so two listings of the same content are equal
 * whatever their history; JSON objects compare by content, key order aside. Internal.
 *
 * @param table the table object ({@code family}, {@code name}, ...)
 * @param chains the chain objects by name
 * @param rules each chain's rule objects, in the chain's order
 * @param others every other object of the table, in listing order
 */
record NftTable(JsonObject table, Map<String, JsonObject> chains, Map<String, List<JsonObject>> rules,
    List<JsonObject> others) {

  NftTable {
    Objects.requireNonNull(table, "table");
    chains = Map.copyOf(chains);
    Map<String, List<JsonObject>> copy = new LinkedHashMap<>();
    rules.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    // A chain without rules has no rule items in a listing: give it an empty list, so that it
    // equals the same chain built from its parts.
    chains.keySet().forEach(k -> copy.putIfAbsent(k, List.of()));
    rules = Map.copyOf(copy);
    others = List.copyOf(others);
  }

  /**
   * Parses {@code nft -j list table ...} output.
   *
   * @throws IllegalArgumentException if it is not nft's JSON or holds no table
   */
  static NftTable parse(String json) {
    JsonArray items;
    try {
      JsonElement root = JsonParser.parseString(json);
      items = root.getAsJsonObject().getAsJsonArray("nftables");
    } catch (JsonParseException | IllegalStateException | ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("not nft's JSON: " + abbreviate(json), e);
    }
    if (items == null) {
      throw new IllegalArgumentException("no \"nftables\" array in: " + abbreviate(json));
    }
    JsonObject table = null;
    Map<String, JsonObject> chains = new LinkedHashMap<>();
    Map<String, List<JsonObject>> rules = new LinkedHashMap<>();
    List<JsonObject> others = new ArrayList<>();
    for (JsonElement item : items) {
      if (!item.isJsonObject() || item.getAsJsonObject().size() != 1) {
        throw new IllegalArgumentException("unexpected item in nft's JSON: " + item);
      }
      Map.Entry<String, JsonElement> e = item.getAsJsonObject().entrySet().iterator().next();
      switch (e.getKey()) {
        case "metainfo" -> { }  // nft's version, not the ruleset's content
        case "table" -> table = withoutHandle(e.getValue());
        case "chain" -> {
          JsonObject c = withoutHandle(e.getValue());
          chains.put(c.get("name").getAsString(), c);
        }
        case "rule" -> {
          JsonObject r = withoutHandle(e.getValue());
          rules.computeIfAbsent(r.get("chain").getAsString(), k -> new ArrayList<>()).add(r);
        }
        default -> {
          JsonObject o = new JsonObject();
          o.add(e.getKey(), withoutHandle(e.getValue()));
          others.add(o);
        }
      }
    }
    if (table == null) {
      throw new IllegalArgumentException("no table in nft's JSON: " + abbreviate(json));
    }
    return new NftTable(table, chains, rules, others);
  }

  /** Returns this table reduced to the table object and {@code names}' chains and rules (which must be present). */
  NftTable only(Set<String> names) {
    Map<String, JsonObject> c = new LinkedHashMap<>();
    Map<String, List<JsonObject>> r = new LinkedHashMap<>();
    for (String n : names) {
      JsonObject chain = chains.get(n);
      if (chain == null) {
        throw new IllegalArgumentException("no chain " + n + " in " + table);
      }
      c.put(n, chain);
      r.put(n, rules.getOrDefault(n, List.of()));
    }
    return new NftTable(table, c, r, List.of());
  }

  /**
   * Returns how many objects (table, chains, rules, others) differ between this and {@code other}:
   * those in one and not in the other, counting a rule out of place as different. 0 iff equal.
   */
  int differences(NftTable other) {
    Set<String> mine = flatten();
    Set<String> theirs = other.flatten();
    Set<String> onlyMine = new LinkedHashSet<>(mine);
    onlyMine.removeAll(theirs);
    Set<String> onlyTheirs = new LinkedHashSet<>(theirs);
    onlyTheirs.removeAll(mine);
    int n = onlyMine.size() + onlyTheirs.size();
    return n == 0 && !equals(other) ? 1 : n;
  }

  // Each object with its place (rules by index), as canonical text: a moved rule counts as different.
  private Set<String> flatten() {
    Set<String> s = new LinkedHashSet<>();
    s.add("table " + table);
    chains.forEach((n, c) -> s.add("chain " + n + " " + c));
    rules.forEach((n, list) -> {
      for (int i = 0; i < list.size(); i++) {
        s.add("rule " + n + "#" + i + " " + list.get(i));
      }
    });
    for (int i = 0; i < others.size(); i++) {
      s.add("other#" + i + " " + others.get(i));
    }
    return s;
  }

  // Handles are the kernel's identifiers and change whenever an object is recreated.
  private static JsonObject withoutHandle(JsonElement e) {
    JsonObject o = e.getAsJsonObject().deepCopy();
    o.remove("handle");
    return o;
  }

  private static String abbreviate(String s) {
    String t = s.strip();
    return t.length() <= 200 ? t : t.substring(0, 200) + "...";
  }
}
