package io.overlaynet.agent;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's options, with flanneld's defaults in {@link #DEFAULT}. Immutable; each
 * {@code withX} returns a copy.
 *
 * <pre>{@code
 * AgentOptions opts = AgentOptions.DEFAULT
 *     .withInterfaces(List.of("eth1"))
 *     .withIpMasq(true)
 *     .withSubnetFile(Path.of("/run/flannel/subnet.env"));
 * }</pre>
 */
public final class AgentOptions {

  /** flanneld's defaults: default-route interface, {@code /run/flannel/subnet.env}, no masquerade,
   * forward rules on, 5 s resync, lease renewed 60 min before expiry. */
  public static final AgentOptions DEFAULT = new AgentOptions(List.of(), List.of(), Optional.empty(),
      Optional.empty(), Optional.of(Path.of("/run/flannel/subnet.env")), false, true, Duration.ofSeconds(5),
      Duration.ofMinutes(60), Duration.ofSeconds(1));

  private final List<String> interfaces;
  private final List<Pattern> interfaceRegexes;
  private final Optional<IpAddress> interfaceCanReach;
  private final Optional<Ip4> publicIp;
  private final Optional<Path> subnetFile;
  private final boolean ipMasq;
  private final boolean forwardRules;
  private final Duration resyncPeriod;
  private final Duration renewMargin;
  private final Duration configRetry;

  private AgentOptions(List<String> interfaces, List<Pattern> interfaceRegexes, Optional<IpAddress> interfaceCanReach,
      Optional<Ip4> publicIp, Optional<Path> subnetFile, boolean ipMasq, boolean forwardRules, Duration resyncPeriod,
      Duration renewMargin, Duration configRetry) {
    checkArgument(!resyncPeriod.isNegative() && !resyncPeriod.isZero(), "resync period must be positive: %s",
        resyncPeriod);
    checkArgument(!renewMargin.isNegative(), "renew margin must not be negative: %s", renewMargin);
    checkArgument(!configRetry.isNegative() && !configRetry.isZero(), "config retry must be positive: %s",
        configRetry);
    this.interfaces = List.copyOf(interfaces);
    this.interfaceRegexes = List.copyOf(interfaceRegexes);
    this.interfaceCanReach = Objects.requireNonNull(interfaceCanReach);
    this.publicIp = Objects.requireNonNull(publicIp);
    this.subnetFile = Objects.requireNonNull(subnetFile);
    this.ipMasq = ipMasq;
    this.forwardRules = forwardRules;
    this.resyncPeriod = resyncPeriod;
    this.renewMargin = renewMargin;
    this.configRetry = configRetry;
  }

  private AgentOptions copy(List<String> i, List<Pattern> r, Optional<IpAddress> c, Optional<Ip4> p,
      Optional<Path> f, boolean m, boolean fw, Duration rs, Duration rm, Duration cr) {
    return new AgentOptions(i, r, c, p, f, m, fw, rs, rm, cr);
  }

  /** Returns the {@code --iface} values (names or IPv4 addresses), tried in order. */
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

  /** Returns a copy with these {@code --iface} values. */
  public AgentOptions withInterfaces(List<String> values) {
    return copy(values, interfaceRegexes, interfaceCanReach, publicIp, subnetFile, ipMasq, forwardRules,
        resyncPeriod, renewMargin, configRetry);
  }

  /** Returns a copy with these {@code --iface-regex} patterns. */
  public AgentOptions withInterfaceRegexes(List<Pattern> values) {
    return copy(interfaces, new ArrayList<>(values), interfaceCanReach, publicIp, subnetFile, ipMasq, forwardRules,
        resyncPeriod, renewMargin, configRetry);
  }

  /** Returns a copy with this {@code --iface-can-reach} address (empty for none). */
  public AgentOptions withInterfaceCanReach(Optional<IpAddress> value) {
    return copy(interfaces, interfaceRegexes, value, publicIp, subnetFile, ipMasq, forwardRules, resyncPeriod,
        renewMargin, configRetry);
  }

  /** Returns a copy with this {@code --public-ip} (empty for the interface address). */
  public AgentOptions withPublicIp(Optional<Ip4> value) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, value, subnetFile, ipMasq, forwardRules,
        resyncPeriod, renewMargin, configRetry);
  }

  /** Returns a copy that writes {@code subnet.env} at {@code path}. */
  public AgentOptions withSubnetFile(Path path) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, Optional.of(path), ipMasq, forwardRules,
        resyncPeriod, renewMargin, configRetry);
  }

  /** Returns a copy that writes no {@code subnet.env} (embedders that read {@link Agent#lease()}). */
  public AgentOptions withoutSubnetFile() {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, Optional.empty(), ipMasq, forwardRules,
        resyncPeriod, renewMargin, configRetry);
  }

  /** Returns a copy with {@code --ip-masq}. */
  public AgentOptions withIpMasq(boolean value) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, subnetFile, value, forwardRules,
        resyncPeriod, renewMargin, configRetry);
  }

  /** Returns a copy with {@code --iptables-forward-rules}. */
  public AgentOptions withForwardRules(boolean value) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, subnetFile, ipMasq, value, resyncPeriod,
        renewMargin, configRetry);
  }

  /**
   * Returns a copy with this firewall resync period.
   *
   * @throws IllegalArgumentException if not positive
   */
  public AgentOptions withResyncPeriod(Duration value) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, subnetFile, ipMasq, forwardRules, value,
        renewMargin, configRetry);
  }

  /**
   * Returns a copy with this lease renew margin.
   *
   * @throws IllegalArgumentException if negative
   */
  public AgentOptions withRenewMargin(Duration value) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, subnetFile, ipMasq, forwardRules,
        resyncPeriod, value, configRetry);
  }

  /**
   * Returns a copy with this config retry period.
   *
   * @throws IllegalArgumentException if not positive
   */
  public AgentOptions withConfigRetry(Duration value) {
    return copy(interfaces, interfaceRegexes, interfaceCanReach, publicIp, subnetFile, ipMasq, forwardRules,
        resyncPeriod, renewMargin, value);
  }
}
