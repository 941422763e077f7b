package io.overlaynet.vxlan;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonWriter;
import io.overlaynet.ip.MacAddress;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * A vxlan lease's {@code BackendData}: {@code {"VNI":1,"VtepMAC":"d2:65:d5:8b:00:6f"}}, the
 * exact bytes flanneld writes ({@code vxlan.go newSubnetAttrs}).
 *
 * @param vni the VNI the node uses
 * @param vtepMac the MAC of the node's {@code flannel.<VNI>} device
 */
record VtepData(int vni, MacAddress vtepMac) {

  /** Returns the compact JSON, fields in flannel's order (VNI, then VtepMAC). */
  String toJson() {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(out)) {
      w.beginObject().name("VNI").value(vni).name("VtepMAC").value(vtepMac.toString()).endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /**
   * Parses backend data written by flanneld or by this library. Field names match
   * case-insensitively, as Go's JSON decoder does.
   *
   * @throws IllegalArgumentException if the JSON is not such an object or the MAC is missing or invalid
   */
  static VtepData parse(String json) {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException("vxlan backend data is not a JSON object: " + json);
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("vxlan backend data is not valid JSON: " + json, e);
    }
    int vni = 0;
    MacAddress mac = null;
    for (Map.Entry<String, JsonElement> f : o.entrySet()) {
      JsonElement v = f.getValue();
      if (f.getKey().equalsIgnoreCase("VNI") && v instanceof JsonPrimitive p && p.isNumber()) {
        vni = p.getAsInt();
      } else if (f.getKey().equalsIgnoreCase("VtepMAC") && v instanceof JsonPrimitive p && p.isString()) {
        mac = MacAddress.parse(p.getAsString());
      }
    }
    if (mac == null) {
      throw new IllegalArgumentException("vxlan backend data has no VtepMAC: " + json);
    }
    return new VtepData(vni, mac);
  }
}
