package io.overlaynet;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.Ip6Net;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The network config flannel keeps at {@code <prefix>/config}, parsed, defaulted and validated
 * exactly as flanneld does in etcd mode ({@code pkg/subnet/config.go}).
 *
 * <p>Keys match case-insensitively and unknown keys are ignored. A missing {@code Backend} means
 * type {@code udp} (flannel's code, though its docs say vxlan). Defaults: {@code SubnetLen} 24 when
 * the network is /22 or larger, else prefix + 2; {@code SubnetMin} the second subnet;
 * {@code SubnetMax} the last one. Errors carry flannel's own messages.
 *
 * <pre>{@code
 * NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
 * c.network();       // 10.5.0.0/16
 * c.subnetMin();     // 10.5.1.0
 * c.backend().type();                 // "vxlan"
 * c.backend().getInt("VNI", 1);       // 1
 *
 * // Or built, with the same defaults and checks, and written as flannel reads it:
 * NetworkConfig built = NetworkConfig.builder()
 *     .withNetwork(Ip4Net.parse("10.5.0.0/16"))
 *     .withBackend("vxlan").withBackendOption("DirectRouting", true)
 *     .build();
 * store.put("/coreos.com/network/config", built.toJson(), Store.NO_TTL);
 * }</pre>
 *
 * <p>Two configs are equal when their values are (the JSON text they came from may differ);
 * {@code parse(c.toJson())} equals {@code c}.
 */
public final class NetworkConfig {

  private final boolean enableIpv4;
  private final boolean enableIpv6;
  private final boolean enableNftables;
  private final Ip4Net network;
  private final int subnetLen;
  private final Ip4 subnetMin;
  private final Ip4 subnetMax;
  private final Ip6Net ipv6Network;
  private final int ipv6SubnetLen;
  private final Ip6 ipv6SubnetMin;
  private final Ip6 ipv6SubnetMax;
  private final BackendConfig backend;
  private final String json;

  private NetworkConfig(Builder b, String json) {
    this.enableIpv4 = b.enableIpv4;
    this.enableIpv6 = b.enableIpv6;
    this.enableNftables = b.enableNftables;
    this.network = b.network;
    this.subnetLen = b.subnetLen;
    this.subnetMin = b.subnetMin;
    this.subnetMax = b.subnetMax;
    this.ipv6Network = b.ipv6Network;
    this.ipv6SubnetLen = b.ipv6SubnetLen;
    this.ipv6SubnetMin = b.ipv6SubnetMin;
    this.ipv6SubnetMax = b.ipv6SubnetMax;
    this.backend = b.backend;
    this.json = json != null ? json : toJson();
  }

  /**
   * Parses, defaults and validates a config.
   *
   * @throws NetworkConfigException with flannel's message if the JSON is malformed or invalid
   */
  public static NetworkConfig parse(String json) {
    Objects.requireNonNull(json, "json");
    JsonObject obj;
    try {
      JsonElement root = JsonParser.parseString(json);
      if (!root.isJsonObject()) {
        throw new NetworkConfigException("the network config is not a JSON object: " + LeaseCodec.abbreviate(json));
      }
      obj = root.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new NetworkConfigException("the network config is not valid JSON: " + e.getMessage(), e);
    }
    Builder b = new Builder();
    for (Map.Entry<String, JsonElement> f : obj.entrySet()) {
      String name = f.getKey();
      JsonElement v = f.getValue();
      if (v.isJsonNull()) {
        continue; // Go leaves the field at its zero value
      }
      switch (name.toLowerCase(Locale.ROOT)) {
        case "network" -> b.network = ip4Net(name, v);
        case "subnetlen" -> b.subnetLen = uint(name, v);
        case "subnetmin" -> b.subnetMin = ip4(name, v);
        case "subnetmax" -> b.subnetMax = ip4(name, v);
        case "enableipv4" -> b.enableIpv4 = bool(name, v);
        case "enableipv6" -> b.enableIpv6 = bool(name, v);
        case "enablenftables" -> b.enableNftables = bool(name, v);
        case "ipv6network" -> b.ipv6Network = ip6Net(name, v);
        case "ipv6subnetlen" -> b.ipv6SubnetLen = uint(name, v);
        case "ipv6subnetmin" -> b.ipv6SubnetMin = ip6(name, v);
        case "ipv6subnetmax" -> b.ipv6SubnetMax = ip6(name, v);
        case "backend" -> b.backend = BackendConfig.parse(v);
        default -> { } // unknown keys are ignored, as flannel does
      }
    }
    validate(b);
    return new NetworkConfig(b, json);
  }

  private static void validate(Builder b) {
    if (!b.enableIpv4 && !b.enableIpv6) {
      throw new NetworkConfigException("none defined stack: the config enables neither IPv4 nor IPv6");
    }
    if (b.enableIpv4) {
      validateIpv4(b);
    }
    if (b.enableIpv6) {
      validateIpv6(b);
    }
  }

  private static void validateIpv4(Builder b) {
    if (b.network.isEmpty()) {
      throw new NetworkConfigException("please define a correct Network parameter in the flannel config");
    }
    int prefix = b.network.prefixLength();
    if (b.subnetLen > 0) {
      if (b.subnetLen > 30) {
        throw new NetworkConfigException("SubnetLen must be less than /31");
      }
      if (b.subnetLen < prefix + 2) {
        throw new NetworkConfigException("network must be able to accommodate at least four subnets");
      }
    } else {
      if (prefix > 28) {
        throw new NetworkConfigException("network is too small. Minimum useful network prefix is /28");
      }
      b.subnetLen = prefix <= 22 ? 24 : prefix + 2;
    }
    long subnetSize = 1L << (32 - b.subnetLen);
    if (b.subnetMin.isUnspecified()) {
      b.subnetMin = b.network.address().plus(subnetSize);
    } else if (!b.network.contains(b.subnetMin)) {
      throw new NetworkConfigException("SubnetMin is not in the range of the Network");
    }
    if (b.subnetMax.isUnspecified()) {
      b.subnetMax = b.network.next().address().plus(-subnetSize);
    } else if (!b.network.contains(b.subnetMax)) {
      throw new NetworkConfigException("SubnetMax is not in the range of the Network");
    }
    long mask = subnetSize - 1;
    if ((b.subnetMin.toUnsignedLong() & mask) != 0) {
      throw new NetworkConfigException("SubnetMin is not on a SubnetLen boundary: " + b.subnetMin);
    }
    if ((b.subnetMax.toUnsignedLong() & mask) != 0) {
      throw new NetworkConfigException("SubnetMax is not on a SubnetLen boundary: " + b.subnetMax);
    }
  }

  private static void validateIpv6(Builder b) {
    if (b.ipv6Network.isEmpty()) {
      throw new NetworkConfigException("please define a correct IPv6Network parameter in the flannel config");
    }
    int prefix = b.ipv6Network.prefixLength();
    if (b.ipv6SubnetLen > 0) {
      if (b.ipv6SubnetLen > 126) {
        throw new NetworkConfigException("SubnetLen must be less than /127");
      }
      if (b.ipv6SubnetLen < prefix + 2) {
        throw new NetworkConfigException("network must be able to accommodate at least four subnets");
      }
    } else {
      if (prefix > 124) {
        throw new NetworkConfigException("IPv6Network is too small. Minimum useful network prefix is /124");
      }
      b.ipv6SubnetLen = prefix <= 62 ? 64 : prefix + 2;
    }
    BigInteger subnetSize = BigInteger.ONE.shiftLeft(128 - b.ipv6SubnetLen);
    if (b.ipv6SubnetMin.isUnspecified()) {
      b.ipv6SubnetMin = b.ipv6Network.address().plus(subnetSize);
    } else if (!b.ipv6Network.contains(b.ipv6SubnetMin)) {
      throw new NetworkConfigException("IPv6SubnetMin is not in the range of the IPv6Network");
    }
    if (b.ipv6SubnetMax.isUnspecified()) {
      b.ipv6SubnetMax = b.ipv6Network.next().address().plus(subnetSize.negate());
    } else if (!b.ipv6Network.contains(b.ipv6SubnetMax)) {
      throw new NetworkConfigException("IPv6SubnetMax is not in the range of the IPv6Network");
    }
    BigInteger mask = subnetSize.subtract(BigInteger.ONE);
    if (!b.ipv6SubnetMin.toBigInteger().and(mask).equals(BigInteger.ZERO)) {
      throw new NetworkConfigException("IPv6SubnetMin is not on a SubnetLen boundary: " + b.ipv6SubnetMin);
    }
    if (!b.ipv6SubnetMax.toBigInteger().and(mask).equals(BigInteger.ZERO)) {
      throw new NetworkConfigException("IPv6SubnetMax is not on a SubnetLen boundary: " + b.ipv6SubnetMax);
    }
  }

  private static String str(String name, JsonElement v) {
    if (!(v instanceof JsonPrimitive p) || !p.isString()) {
      throw new NetworkConfigException(name + ": expected a string, got " + v);
    }
    return p.getAsString();
  }

  private static Ip4Net ip4Net(String name, JsonElement v) {
    String s = str(name, v);
    if (s.indexOf(':') >= 0) {
      throw new NetworkConfigException(name + ": invalid IPv4 CIDR format: " + s);
    }
    try {
      return Ip4Net.parse(s);
    } catch (IllegalArgumentException e) {
      throw new NetworkConfigException(name + ": invalid CIDR address: " + s, e);
    }
  }

  private static Ip6Net ip6Net(String name, JsonElement v) {
    String s = str(name, v);
    if (s.indexOf(':') < 0) {
      throw new NetworkConfigException(name + ": invalid IPv6 CIDR format: " + s);
    }
    try {
      return Ip6Net.parse(s);
    } catch (IllegalArgumentException e) {
      throw new NetworkConfigException(name + ": invalid CIDR address: " + s, e);
    }
  }

  private static Ip4 ip4(String name, JsonElement v) {
    try {
      return Ip4.parse(str(name, v));
    } catch (IllegalArgumentException e) {
      throw new NetworkConfigException(name + ": invalid IPv4 address format: " + v, e);
    }
  }

  private static Ip6 ip6(String name, JsonElement v) {
    try {
      return Ip6.parse(str(name, v));
    } catch (IllegalArgumentException e) {
      throw new NetworkConfigException(name + ": invalid IPv6 address format: " + v, e);
    }
  }

  static int uint(String name, JsonElement v) {
    if (v instanceof JsonPrimitive p && p.isNumber()) {
      try {
        int n = new java.math.BigDecimal(p.getAsString()).intValueExact();
        if (n >= 0) {
          return n;
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw new NetworkConfigException(name + ": expected a non-negative integer, got " + v);
  }

  static boolean bool(String name, JsonElement v) {
    if (v instanceof JsonPrimitive p && p.isBoolean()) {
      return p.getAsBoolean();
    }
    throw new NetworkConfigException(name + ": expected true or false, got " + v);
  }

  /** Returns whether IPv4 is enabled ({@code EnableIPv4}, default true). */
  public boolean enableIpv4() {
    return enableIpv4;
  }

  /** Returns whether IPv6 is enabled ({@code EnableIPv6}, default false). */
  public boolean enableIpv6() {
    return enableIpv6;
  }

  /** Returns {@code EnableNFTables} (default false). */
  public boolean enableNftables() {
    return enableNftables;
  }

  /** Returns the overlay network ({@link Ip4Net#EMPTY} when IPv4 is disabled). */
  public Ip4Net network() {
    return network;
  }

  /** Returns the prefix length of each node's subnet, after defaulting. */
  public int subnetLen() {
    return subnetLen;
  }

  /** Returns the first subnet address that may be leased. */
  public Ip4 subnetMin() {
    return subnetMin;
  }

  /** Returns the last subnet address that may be leased. */
  public Ip4 subnetMax() {
    return subnetMax;
  }

  /** Returns the IPv6 overlay network ({@link Ip6Net#EMPTY} when IPv6 is disabled). */
  public Ip6Net ipv6Network() {
    return ipv6Network;
  }

  /** Returns the IPv6 subnet prefix length, after defaulting. */
  public int ipv6SubnetLen() {
    return ipv6SubnetLen;
  }

  /** Returns the first IPv6 subnet address that may be leased. */
  public Ip6 ipv6SubnetMin() {
    return ipv6SubnetMin;
  }

  /** Returns the last IPv6 subnet address that may be leased. */
  public Ip6 ipv6SubnetMax() {
    return ipv6SubnetMax;
  }

  /** Returns the backend section: its type and its own options. */
  public BackendConfig backend() {
    return backend;
  }

  /** Returns the JSON text this config was parsed from ({@link #toJson()} for a built one). */
  public String json() {
    return json;
  }

  /**
   * Returns whether {@code subnet} may be leased under this config: inside
   * [{@code SubnetMin}, {@code SubnetMax}] with prefix length {@code SubnetLen} (flannel's
   * compatibility check for reusing a lease).
   */
  public boolean isCompatible(Ip4Net subnet) {
    return subnet.prefixLength() == subnetLen
        && subnet.address().compareTo(subnetMin) >= 0
        && subnet.address().compareTo(subnetMax) <= 0;
  }

  /** Returns whether {@code subnet} may be leased under this config's IPv6 settings. */
  public boolean isCompatible(Ip6Net subnet) {
    return subnet.prefixLength() == ipv6SubnetLen
        && subnet.address().compareTo(ipv6SubnetMin) >= 0
        && subnet.address().compareTo(ipv6SubnetMax) <= 0;
  }

  /**
   * Returns the config as flannel's JSON, every value explicit (defaults resolved), with the
   * Backend section as given; {@link #parse} reads it back into an equal config.
   */
  public String toJson() {
    JsonObject o = new JsonObject();
    if (!enableIpv4) {
      o.addProperty("EnableIPv4", false);
    } else {
      o.addProperty("Network", network.toString());
      o.addProperty("SubnetLen", subnetLen);
      o.addProperty("SubnetMin", subnetMin.toString());
      o.addProperty("SubnetMax", subnetMax.toString());
    }
    if (enableIpv6) {
      o.addProperty("EnableIPv6", true);
      o.addProperty("IPv6Network", ipv6Network.toString());
      o.addProperty("IPv6SubnetLen", ipv6SubnetLen);
      o.addProperty("IPv6SubnetMin", ipv6SubnetMin.toString());
      o.addProperty("IPv6SubnetMax", ipv6SubnetMax.toString());
    }
    if (enableNftables) {
      o.addProperty("EnableNFTables", true);
    }
    o.add("Backend", backend.options.deepCopy());
    return o.toString();
  }

  /** Starts a builder with flannel's defaults: IPv4 on, IPv6 off, backend {@code udp}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this config's values, e.g. to change one of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.enableIpv4 = enableIpv4;
    b.enableIpv6 = enableIpv6;
    b.enableNftables = enableNftables;
    b.network = network;
    b.subnetLen = subnetLen;
    b.subnetMin = subnetMin;
    b.subnetMax = subnetMax;
    b.ipv6Network = ipv6Network;
    b.ipv6SubnetLen = ipv6SubnetLen;
    b.ipv6SubnetMin = ipv6SubnetMin;
    b.ipv6SubnetMax = ipv6SubnetMax;
    b.backend = backend;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NetworkConfig c && enableIpv4 == c.enableIpv4 && enableIpv6 == c.enableIpv6
        && enableNftables == c.enableNftables && network.equals(c.network) && subnetLen == c.subnetLen
        && subnetMin.equals(c.subnetMin) && subnetMax.equals(c.subnetMax) && ipv6Network.equals(c.ipv6Network)
        && ipv6SubnetLen == c.ipv6SubnetLen && ipv6SubnetMin.equals(c.ipv6SubnetMin)
        && ipv6SubnetMax.equals(c.ipv6SubnetMax) && backend.equals(c.backend);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enableIpv4, enableIpv6, enableNftables, network, subnetLen, subnetMin, subnetMax,
        ipv6Network, ipv6SubnetLen, ipv6SubnetMin, ipv6SubnetMax, backend);
  }

  @Override
  public String toString() {
    return "NetworkConfig{network=" + network + ", subnetLen=" + subnetLen + ", subnetMin=" + subnetMin
        + ", subnetMax=" + subnetMax + (enableIpv6 ? ", ipv6Network=" + ipv6Network + ", ipv6SubnetLen="
        + ipv6SubnetLen : "") + ", backend=" + backend.type() + "}";
  }

  /**
   * Builds a {@link NetworkConfig} with flannel's defaults and checks, as {@link #parse} applies
   * them: what is not set is defaulted, what is inconsistent is refused with flannel's message.
   */
  public static final class Builder {
    boolean enableIpv4 = true; // flannel pre-sets EnableIPv4 before unmarshalling
    boolean enableIpv6;
    boolean enableNftables;
    Ip4Net network = Ip4Net.EMPTY;
    int subnetLen;
    Ip4 subnetMin = Ip4.ANY;
    Ip4 subnetMax = Ip4.ANY;
    Ip6Net ipv6Network = Ip6Net.EMPTY;
    int ipv6SubnetLen;
    Ip6 ipv6SubnetMin = Ip6.ANY;
    Ip6 ipv6SubnetMax = Ip6.ANY;
    BackendConfig backend = BackendConfig.of("udp");

    private Builder() {}

    /** Sets {@code Network}, the IPv4 range the node subnets come from. */
    public Builder withNetwork(Ip4Net network) {
      this.network = Objects.requireNonNull(network, "network");
      return this;
    }

    /** Sets {@code SubnetLen}; 0 (the default) means 24, or the network's prefix + 2 when smaller than /22. */
    public Builder withSubnetLen(int len) {
      this.subnetLen = len;
      return this;
    }

    /** Sets {@code SubnetMin}, the first subnet leased (default: the network's second subnet). */
    public Builder withSubnetMin(Ip4 min) {
      this.subnetMin = Objects.requireNonNull(min, "min");
      return this;
    }

    /** Sets {@code SubnetMax}, the last subnet leased (default: the network's last subnet). */
    public Builder withSubnetMax(Ip4 max) {
      this.subnetMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** Sets {@code EnableIPv4} (default true). */
    public Builder withIpv4(boolean enable) {
      this.enableIpv4 = enable;
      return this;
    }

    /** Sets {@code EnableIPv6} (default false). */
    public Builder withIpv6(boolean enable) {
      this.enableIpv6 = enable;
      return this;
    }

    /** Sets {@code IPv6Network}; IPv6 must be enabled too ({@link #withIpv6}). */
    public Builder withIpv6Network(Ip6Net network) {
      this.ipv6Network = Objects.requireNonNull(network, "network");
      return this;
    }

    /** Sets {@code IPv6SubnetLen}; 0 (the default) means 64, or the prefix + 2 when smaller than /62. */
    public Builder withIpv6SubnetLen(int len) {
      this.ipv6SubnetLen = len;
      return this;
    }

    /** Sets {@code IPv6SubnetMin}. */
    public Builder withIpv6SubnetMin(Ip6 min) {
      this.ipv6SubnetMin = Objects.requireNonNull(min, "min");
      return this;
    }

    /** Sets {@code IPv6SubnetMax}. */
    public Builder withIpv6SubnetMax(Ip6 max) {
      this.ipv6SubnetMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** Sets {@code EnableNFTables} (default false). */
    public Builder withNftables(boolean enable) {
      this.enableNftables = enable;
      return this;
    }

    /** Sets the backend type ({@code Backend.Type}, e.g. {@code vxlan}), dropping options set before. */
    public Builder withBackend(String type) {
      this.backend = BackendConfig.of(Objects.requireNonNull(type, "type"));
      return this;
    }

    /** Adds a backend option, e.g. {@code ("VNI", 4096)} or {@code ("DirectRouting", true)}. */
    public Builder withBackendOption(String name, Object value) {
      this.backend = backend.with(name, value);
      return this;
    }

    /**
     * Defaults and validates the config.
     *
     * @throws NetworkConfigException with flannel's message if the values are inconsistent
     */
    public NetworkConfig build() {
      Builder b = copy();
      validate(b);
      NetworkConfig c = new NetworkConfig(b, null);
      return c;
    }

    private Builder copy() {
      Builder b = new Builder();
      b.enableIpv4 = enableIpv4;
      b.enableIpv6 = enableIpv6;
      b.enableNftables = enableNftables;
      b.network = network;
      b.subnetLen = subnetLen;
      b.subnetMin = subnetMin;
      b.subnetMax = subnetMax;
      b.ipv6Network = ipv6Network;
      b.ipv6SubnetLen = ipv6SubnetLen;
      b.ipv6SubnetMin = ipv6SubnetMin;
      b.ipv6SubnetMax = ipv6SubnetMax;
      b.backend = backend;
      return b;
    }
  }

  /**
   * The {@code Backend} section: the type name (lower-cased) and the backend's own options, read
   * case-insensitively by the backend that owns them.
   */
  public static final class BackendConfig {
    private final String type;
    private final JsonObject options;

    BackendConfig(String type, JsonObject options) {
      this.type = type;
      this.options = options;
    }

    /** A section with only {@code Type}. */
    static BackendConfig of(String type) {
      JsonObject o = new JsonObject();
      o.addProperty("Type", type);
      return new BackendConfig(type.toLowerCase(Locale.ROOT), o);
    }

    /** Returns a copy with one more option (a number, boolean or string). */
    BackendConfig with(String name, Object value) {
      Objects.requireNonNull(name, "name");
      JsonObject o = options.deepCopy();
      if (value instanceof Number n) {
        o.addProperty(name, n);
      } else if (value instanceof Boolean b) {
        o.addProperty(name, b);
      } else if (value instanceof String str) {
        o.addProperty(name, str);
      } else {
        throw new IllegalArgumentException("backend option " + name + ": a number, boolean or string, got " + value);
      }
      return new BackendConfig(type, o);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BackendConfig b && type.equals(b.type) && options.equals(b.options);
    }

    @Override
    public int hashCode() {
      return type.hashCode() * 31 + options.hashCode();
    }

    static BackendConfig parse(JsonElement v) {
      if (!v.isJsonObject()) {
        throw new NetworkConfigException("error decoding Backend property of config: not a JSON object: " + v);
      }
      JsonObject o = v.getAsJsonObject();
      String type = "";
      for (Map.Entry<String, JsonElement> f : o.entrySet()) {
        if (f.getKey().equalsIgnoreCase("type") && !f.getValue().isJsonNull()) {
          if (!(f.getValue() instanceof JsonPrimitive p) || !p.isString()) {
            throw new NetworkConfigException("error decoding Backend property of config: Type is not a string: "
                + f.getValue());
          }
          type = p.getAsString();
        }
      }
      // flannel lower-cases the type before looking up the backend (pkg/backend/manager.go).
      return new BackendConfig(type.toLowerCase(Locale.ROOT), o.deepCopy());
    }

    /** Returns the backend type, lower-cased, e.g. {@code vxlan}; {@code udp} when absent. */
    public String type() {
      return type;
    }

    private Optional<JsonElement> find(String name) {
      for (Map.Entry<String, JsonElement> f : options.entrySet()) {
        if (f.getKey().equalsIgnoreCase(name) && !f.getValue().isJsonNull()) {
          return Optional.of(f.getValue());
        }
      }
      return Optional.empty();
    }

    /** Returns whether the option is present (case-insensitive name). */
    public boolean has(String name) {
      return find(name).isPresent();
    }

    /**
     * Returns a non-negative integer option, or {@code defaultValue} when absent.
     *
     * @throws NetworkConfigException if present but not a non-negative integer
     */
    public int getInt(String name, int defaultValue) {
      return find(name).map(v -> uint(name, v)).orElse(defaultValue);
    }

    /**
     * Returns a boolean option, or {@code defaultValue} when absent.
     *
     * @throws NetworkConfigException if present but not a boolean
     */
    public boolean getBoolean(String name, boolean defaultValue) {
      return find(name).map(v -> bool(name, v)).orElse(defaultValue);
    }

    /**
     * Returns a string option, or {@code defaultValue} when absent.
     *
     * @throws NetworkConfigException if present but not a string
     */
    public String getString(String name, String defaultValue) {
      return find(name).map(v -> str(name, v)).orElse(defaultValue);
    }

    /** Returns the section as compact JSON. */
    public String toJson() {
      return options.toString();
    }

    @Override
    public String toString() {
      return toJson();
    }
  }
}
