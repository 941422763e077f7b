package io.overlaynet;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * flannel's wire formats for leases: the subnet key ({@code 10.5.2.0-24},
 * {@code 10.5.2.0-24&fd00::-64}) and the lease value JSON, byte for byte as flanneld writes them:
 *
 * <pre>{@code
 * {"PublicIP":"192.0.2.11","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"d2:65:d5:8b:00:6f"}}
 * }</pre>
 *
 * <p>{@code PublicIP} and {@code PublicIPv6} are always written ({@code null} when there is no
 * IPv6 address); {@code BackendType}, {@code BackendData} and {@code BackendV6Data} only when set.
 * Reading matches keys case-insensitively and ignores unknown keys, as Go's {@code encoding/json}.
 */
public final class LeaseCodec {

  // flannel's own pattern (pkg/subnet/subnet.go), anchored at both ends here.
  private static final Pattern KEY =
      Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+)-(\\d+)(?:&([a-f\\d:]+)-(\\d+))?$");

  /**
   * The IPv4 part of an IPv6-only lease's key as flanneld v0.20.2 writes it
   * ({@code 0.0.0.0-24&fd00:5:0:f::-64}, reference B12); our IPv6-only leases have
   * {@link Ip4Net#EMPTY} as their IPv4 subnet.
   */
  private static final String NO_IPV4_KEY = "0.0.0.0-24";

  private LeaseCodec() {}

  /** Formats the key suffix under {@code <prefix>/subnets/}. */
  public static String subnetKey(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet) {
    String v4 = subnet.isEmpty() && ipv6Subnet.isPresent()
        ? NO_IPV4_KEY : subnet.address() + "-" + subnet.prefixLength();
    return ipv6Subnet.map(s -> v4 + "&" + s.address() + "-" + s.prefixLength()).orElse(v4);
  }

  /** The subnets a key names. */
  public record SubnetKey(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet) {}

  /**
   * Parses a key suffix such as {@code 10.5.2.0-24} or {@code 10.5.2.0-24&fd00::-64}.
   *
   * @throws IllegalArgumentException if it is not a subnet key
   */
  public static SubnetKey parseSubnetKey(String key) {
    Matcher m = KEY.matcher(key);
    checkArgument(m.matches(), "not a subnet key: %s", key);
    try {
      Ip4Net v4 = Ip4Net.of(Ip4.parse(m.group(1)), Integer.parseInt(m.group(2)));
      Optional<Ip6Net> v6 = m.group(3) == null
          ? Optional.empty()
          : Optional.of(Ip6Net.of(Ip6.parse(m.group(3)), Integer.parseInt(m.group(4))));
      if (v6.isPresent() && v4.address().isUnspecified()) {
        v4 = Ip4Net.EMPTY; // an IPv6-only lease, whatever prefix length its writer put there
      }
      return new SubnetKey(v4, v6);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a subnet key: " + key + " (" + e.getMessage() + ")", e);
    }
  }

  /** Writes the lease value JSON exactly as flanneld does. */
  public static String toJson(LeaseAttrs attrs) {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(out)) {
      w.setSerializeNulls(true);
      w.setHtmlSafe(false);
      w.beginObject();
      w.name("PublicIP").value(attrs.publicIp().toString());
      w.name("PublicIPv6");
      if (attrs.publicIpv6().isPresent()) {
        w.value(attrs.publicIpv6().get().toString());
      } else {
        w.nullValue();
      }
      if (!attrs.backendType().isEmpty()) {
        w.name("BackendType").value(attrs.backendType());
      }
      if (attrs.backendData().isPresent()) {
        w.name("BackendData").jsonValue(compact(attrs.backendData().get()));
      }
      if (attrs.backendV6Data().isPresent()) {
        w.name("BackendV6Data").jsonValue(compact(attrs.backendV6Data().get()));
      }
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Reads a lease value.
   *
   * @throws IllegalArgumentException if it is not flannel lease JSON with a valid {@code PublicIP}
   */
  public static LeaseAttrs parseAttrs(String json) {
    JsonObject obj;
    try {
      JsonElement e = JsonParser.parseString(json);
      checkArgument(e.isJsonObject(), "lease value is not a JSON object: %s", abbreviate(json));
      obj = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("lease value is not valid JSON: " + abbreviate(json), e);
    }
    Ip4 publicIp = Ip4.ANY;
    Optional<Ip6> publicIpv6 = Optional.empty();
    String type = "";
    Optional<String> data = Optional.empty();
    Optional<String> v6Data = Optional.empty();
    for (Map.Entry<String, JsonElement> field : obj.entrySet()) {
      JsonElement v = field.getValue();
      switch (field.getKey().toLowerCase(java.util.Locale.ROOT)) {
        case "publicip" -> publicIp = v.isJsonNull() ? Ip4.ANY : Ip4.parse(string(field.getKey(), v));
        case "publicipv6" -> publicIpv6 = v.isJsonNull() ? Optional.empty()
            : Optional.of(Ip6.parse(string(field.getKey(), v)));
        case "backendtype" -> type = v.isJsonNull() ? "" : string(field.getKey(), v);
        case "backenddata" -> data = v.isJsonNull() ? Optional.empty() : Optional.of(v.toString());
        case "backendv6data" -> v6Data = v.isJsonNull() ? Optional.empty() : Optional.of(v.toString());
        default -> { } // unknown keys are ignored, as Go's encoding/json does
      }
    }
    return new LeaseAttrs(publicIp, publicIpv6, type, data, v6Data);
  }

  private static String string(String name, JsonElement v) {
    checkArgument(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString(), "%s is not a string: %s", name, v);
    return v.getAsString();
  }

  private static String compact(String json) {
    try {
      return JsonParser.parseString(json).toString();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("backend data is not valid JSON: " + abbreviate(json), e);
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
