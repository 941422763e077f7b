package io.overlaynet.agent;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's options, with flanneld's defaults in {@link #DEFAULT}. Immutable; each
 * {@code withX} returns a copy, and {@link #builder()} / {@link #toBuilder()} give a builder with
 * the same setters.
 *
 * <pre>{@code
 * AgentOptions opts = AgentOptions.DEFAULT
 *     .withInterfaces(List.of("eth1"))
 *     .withIpMasq(true)
 *     .withSubnetFile(Path.of("/run/flannel/subnet.env"));
 * AgentOptions same = AgentOptions.builder().withInterfaces(List.of("eth1")).withIpMasq(true).build();
 * }</pre>
 */
public final class AgentOptions {

  /** flanneld's defaults: default-route interface, {@code /run/flannel/subnet.env}, no masquerade,
   * forward rules on, 5 s resync, lease renewed 60 min before expiry. */
  public static final AgentOptions DEFAULT = new AgentOptions(List.of(), List.of(), Optional.empty(),
      Optional.empty(), Optional.empty(), Optional.of(Path.of("/run/flannel/subnet.env")), false, true, true, Duration.ofSeconds(5),
      Duration.ofMinutes(60), Duration.ofSeconds(1));

  private final List<String> interfaces;
  private final List<Pattern> interfaceRegexes;
  private final Optional<IpAddress> interfaceCanReach;
  private final Optional<Ip4> publicIp;
  private final Optional<Ip6> publicIpv6;
  private final Optional<Path> subnetFile;
  private final boolean ipMasq;
  private final boolean forwardRules;
  private final boolean masqFullyRandom;
  private final Duration resyncPeriod;
  private final Duration renewMargin;
  private final Duration configRetry;

  private AgentOptions(List<String> interfaces, List<Pattern> interfaceRegexes, Optional<IpAddress> interfaceCanReach,
      Optional<Ip4> publicIp, Optional<Ip6> publicIpv6, Optional<Path> subnetFile, boolean ipMasq, boolean forwardRules, boolean masqFullyRandom,
      Duration resyncPeriod, Duration renewMargin, Duration configRetry) {
    checkArgument(!resyncPeriod.isNegative() && !resyncPeriod.isZero(), "resync period must be positive: %s",
        resyncPeriod);
    checkArgument(!renewMargin.isNegative(), "renew margin must not be negative: %s", renewMargin);
    checkArgument(!configRetry.isNegative() && !configRetry.isZero(), "config retry must be positive: %s",
        configRetry);
    this.interfaces = List.copyOf(interfaces);
    this.interfaceRegexes = List.copyOf(interfaceRegexes);
    this.interfaceCanReach = Objects.requireNonNull(interfaceCanReach);
    this.publicIp = Objects.requireNonNull(publicIp);
    this.publicIpv6 = Objects.requireNonNull(publicIpv6);
    this.subnetFile = Objects.requireNonNull(subnetFile);
    this.ipMasq = ipMasq;
    this.forwardRules = forwardRules;
    this.masqFullyRandom = masqFullyRandom;
    this.resyncPeriod = resyncPeriod;
    this.renewMargin = renewMargin;
    this.configRetry = configRetry;
  }

  /** Returns a builder starting from {@link #DEFAULT}. */
  public static Builder builder() {
    return DEFAULT.toBuilder();
  }

  /** Returns a builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Returns the {@code --iface} values (names or IP addresses), tried in order. */
  public List<String> interfaces() {
    return interfaces;
  }

  /** Returns the {@code --iface-regex} patterns, tried in order after {@link #interfaces()}. */
  public List<Pattern> interfaceRegexes() {
    return interfaceRegexes;
  }

  /** Returns the {@code --iface-can-reach} address, if any. */
  public Optional<IpAddress> interfaceCanReach() {
    return interfaceCanReach;
  }

  /** Returns the {@code --public-ip} override, if any. */
  public Optional<Ip4> publicIp() {
    return publicIp;
  }

  /**
   * Returns the {@code --public-ipv6} override, if any: the IPv6 address published in the lease
   * instead of the interface's.
   */
  public Optional<Ip6> publicIpv6() {
    return publicIpv6;
  }

  /** Returns where {@code subnet.env} is written; empty to write none. */
  public Optional<Path> subnetFile() {
    return subnetFile;
  }

  /** Returns {@code --ip-masq}. */
  public boolean ipMasq() {
    return ipMasq;
  }

  /** Returns {@code --iptables-forward-rules}. */
  public boolean forwardRules() {
    return forwardRules;
  }

  /**
   * Returns whether the masquerade rules pick source ports fully at random ({@code --random-fully},
   * nftables {@code fully-random}) where the tools support it: true unless
   * {@code --ip-masq-fully-random-disable}.
   */
  public boolean masqFullyRandom() {
    return masqFullyRandom;
  }

  /** Returns {@code --iptables-resync}: how often the firewall rules are re-checked. */
  public Duration resyncPeriod() {
    return resyncPeriod;
  }

  /** Returns {@code --subnet-lease-renew-margin}. */
  public Duration renewMargin() {
    return renewMargin;
  }

  /** Returns how often a missing or invalid network config is read again. */
  public Duration configRetry() {
    return configRetry;
  }

  /**
   * Returns a copy with these {@code --iface} values (names or IP addresses, tried in order).
   */
  public AgentOptions withInterfaces(List<String> values) {
    return toBuilder().withInterfaces(values).build();
  }

  /**
   * Returns a copy with these {@code --iface-regex} patterns.
   */
  public AgentOptions withInterfaceRegexes(List<Pattern> values) {
    return toBuilder().withInterfaceRegexes(values).build();
  }

  /**
   * Returns a copy with this {@code --iface-can-reach} address.
   */
  public AgentOptions withInterfaceCanReach(IpAddress value) {
    return toBuilder().withInterfaceCanReach(value).build();
  }

  /**
   * Returns a copy with no {@code --iface-can-reach} address (the default).
   */
  public AgentOptions withoutInterfaceCanReach() {
    return toBuilder().withoutInterfaceCanReach().build();
  }

  /**
   * Returns a copy with this {@code --public-ip}.
   */
  public AgentOptions withPublicIp(Ip4 value) {
    return toBuilder().withPublicIp(value).build();
  }

  /**
   * Returns a copy with the interface address as public IP (the default).
   */
  public AgentOptions withoutPublicIp() {
    return toBuilder().withoutPublicIp().build();
  }

  /**
   * Returns a copy with this {@code --public-ipv6}.
   */
  public AgentOptions withPublicIpv6(Ip6 value) {
    return toBuilder().withPublicIpv6(value).build();
  }

  /**
   * Returns a copy with the interface's IPv6 address as public IPv6 address (the default).
   */
  public AgentOptions withoutPublicIpv6() {
    return toBuilder().withoutPublicIpv6().build();
  }

  /**
   * Returns a copy with {@code subnet.env} written at {@code path}.
   */
  public AgentOptions withSubnetFile(Path path) {
    return toBuilder().withSubnetFile(path).build();
  }

  /**
   * Returns a copy with no {@code subnet.env} written (embedders that read {@link Agent#lease()}).
   */
  public AgentOptions withoutSubnetFile() {
    return toBuilder().withoutSubnetFile().build();
  }

  /**
   * Returns a copy with {@code --ip-masq} on or off.
   */
  public AgentOptions withIpMasq(boolean value) {
    return toBuilder().withIpMasq(value).build();
  }

  /**
   * Returns a copy with {@code --iptables-forward-rules} on or off.
   */
  public AgentOptions withForwardRules(boolean value) {
    return toBuilder().withForwardRules(value).build();
  }

  /** Returns a copy with fully random masquerade ports on or off ({@code --ip-masq-fully-random-disable} turns them off). */
  public AgentOptions withMasqFullyRandom(boolean value) {
    return toBuilder().withMasqFullyRandom(value).build();
  }

  /**
   * Returns a copy with this firewall resync period.
   *
   * @throws IllegalArgumentException if not positive
   */
  public AgentOptions withResyncPeriod(Duration value) {
    return toBuilder().withResyncPeriod(value).build();
  }

  /**
   * Returns a copy with this lease renew margin.
   *
   * @throws IllegalArgumentException if negative
   */
  public AgentOptions withRenewMargin(Duration value) {
    return toBuilder().withRenewMargin(value).build();
  }

  /**
   * Returns a copy with this first wait before reading a missing config again, or reaching the store (it grows to 5 s).
   *
   * @throws IllegalArgumentException if not positive
   */
  public AgentOptions withConfigRetry(Duration value) {
    return toBuilder().withConfigRetry(value).build();
  }

  @Override
  public String toString() {
    return "AgentOptions{interfaces=" + interfaces + ", interfaceRegexes=" + interfaceRegexes
        + ", interfaceCanReach=" + interfaceCanReach.map(Object::toString).orElse("none")
        + ", publicIp=" + publicIp.map(Object::toString).orElse("none")
        + ", publicIpv6=" + publicIpv6.map(Object::toString).orElse("none")
        + ", subnetFile=" + subnetFile.map(Object::toString).orElse("none") + ", ipMasq=" + ipMasq
        + ", forwardRules=" + forwardRules + ", masqFullyRandom=" + masqFullyRandom + ", resyncPeriod=" + resyncPeriod + ", renewMargin=" + renewMargin
        + ", configRetry=" + configRetry + "}";
  }

  /** Builds {@link AgentOptions}; its setters have the names of the options' copy methods. */
  public static final class Builder {
    private List<String> interfaces;
    private List<Pattern> interfaceRegexes;
    private Optional<IpAddress> interfaceCanReach;
    private Optional<Ip4> publicIp;
    private Optional<Ip6> publicIpv6;
    private Optional<Path> subnetFile;
    private boolean ipMasq;
    private boolean forwardRules;
    private boolean masqFullyRandom;
    private Duration resyncPeriod;
    private Duration renewMargin;
    private Duration configRetry;

    private Builder(AgentOptions o) {
      this.interfaces = o.interfaces;
      this.interfaceRegexes = o.interfaceRegexes;
      this.interfaceCanReach = o.interfaceCanReach;
      this.publicIp = o.publicIp;
      this.publicIpv6 = o.publicIpv6;
      this.subnetFile = o.subnetFile;
      this.ipMasq = o.ipMasq;
      this.forwardRules = o.forwardRules;
      this.masqFullyRandom = o.masqFullyRandom;
      this.resyncPeriod = o.resyncPeriod;
      this.renewMargin = o.renewMargin;
      this.configRetry = o.configRetry;
    }

    /** Sets these {@code --iface} values (names or IP addresses, tried in order). */
    public Builder withInterfaces(List<String> values) {
      this.interfaces = List.copyOf(values);
      return this;
    }

    /** Sets these {@code --iface-regex} patterns. */
    public Builder withInterfaceRegexes(List<Pattern> values) {
      this.interfaceRegexes = List.copyOf(values);
      return this;
    }

    /** Sets this {@code --iface-can-reach} address. */
    public Builder withInterfaceCanReach(IpAddress value) {
      this.interfaceCanReach = Optional.of(value);
      return this;
    }

    /** Sets no {@code --iface-can-reach} address (the default). */
    public Builder withoutInterfaceCanReach() {
      this.interfaceCanReach = Optional.empty();
      return this;
    }

    /** Sets this {@code --public-ip}. */
    public Builder withPublicIp(Ip4 value) {
      this.publicIp = Optional.of(value);
      return this;
    }

    /** Sets the interface address as public IP (the default). */
    public Builder withoutPublicIp() {
      this.publicIp = Optional.empty();
      return this;
    }

    /** Sets this {@code --public-ipv6}. */
    public Builder withPublicIpv6(Ip6 value) {
      this.publicIpv6 = Optional.of(value);
      return this;
    }

    /** Sets the interface's IPv6 address as public IPv6 address (the default). */
    public Builder withoutPublicIpv6() {
      this.publicIpv6 = Optional.empty();
      return this;
    }

    /** Sets {@code subnet.env} written at {@code path}. */
    public Builder withSubnetFile(Path path) {
      this.subnetFile = Optional.of(path);
      return this;
    }

    /** Sets no {@code subnet.env} written (embedders that read {@link Agent#lease()}). */
    public Builder withoutSubnetFile() {
      this.subnetFile = Optional.empty();
      return this;
    }

    /** Sets {@code --ip-masq} on or off. */
    public Builder withIpMasq(boolean value) {
      this.ipMasq = value;
      return this;
    }

    /** Sets {@code --iptables-forward-rules} on or off. */
    public Builder withForwardRules(boolean value) {
      this.forwardRules = value;
      return this;
    }

    /** Sets fully random masquerade ports on or off. */
    public Builder withMasqFullyRandom(boolean value) {
      this.masqFullyRandom = value;
      return this;
    }

    /** Sets this firewall resync period. */
    public Builder withResyncPeriod(Duration value) {
      this.resyncPeriod = Objects.requireNonNull(value, "value");
      return this;
    }

    /** Sets this lease renew margin. */
    public Builder withRenewMargin(Duration value) {
      this.renewMargin = Objects.requireNonNull(value, "value");
      return this;
    }

    /** Sets this first wait before reading a missing config again, or reaching the store (it grows to 5 s). */
    public Builder withConfigRetry(Duration value) {
      this.configRetry = Objects.requireNonNull(value, "value");
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException if a period is out of range (the message names it)
     */
    public AgentOptions build() {
      return new AgentOptions(interfaces, interfaceRegexes, interfaceCanReach, publicIp, publicIpv6, subnetFile, ipMasq,
          forwardRules, masqFullyRandom, resyncPeriod, renewMargin, configRetry);
    }
  }
}
