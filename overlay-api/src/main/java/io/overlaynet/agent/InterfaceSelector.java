package io.overlaynet.agent;

import io.overlaynet.ExternalInterface;
import io.overlaynet.NetworkConfig;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the external interface as flanneld does ({@code main.go}, {@code pkg/ipmatch}): each
 * {@code --iface} (name or IP address) in order, then each {@code --iface-regex} (matched against
 * addresses, then names), then {@code --iface-can-reach}; with none of these, the interface owning
 * {@code --public-ip} ({@code --public-ipv6} when the network is IPv6-only), else the interface of
 * the default route.
 *
 * <p>For the address families the network config enables, the chosen interface must have an IPv4
 * address and a usable IPv6 address; the IPv6 one is chosen as flannel does: global before
 * link-local, permanent before dynamic, never temporary or deprecated. A candidate without them is
 * skipped with its reason, and the reasons end up in the error if none is left. Unlike flanneld,
 * an interface given by its IPv4 address still yields its IPv6 address, and
 * {@code --iface-can-reach} takes an IPv6 address too.
 *
 * <p>Internal helper of {@link Agent}; public so embedders can preview the choice.
 */
public final class InterfaceSelector {

  private static final Logger log = LoggerFactory.getLogger(InterfaceSelector.class);

  private InterfaceSelector() {}

  /**
   * Selects the external interface for an IPv4-only network.
   *
   * @throws AgentException naming what was tried if no interface matches
   */
  public static ExternalInterface select(HostNetwork host, AgentOptions options) {
    return select(host, options, true, false);
  }

  /**
   * Selects the external interface for the address families {@code config} enables.
   *
   * @throws AgentException naming what was tried, and why each candidate did not do, if no
   *     interface matches
   */
  public static ExternalInterface select(HostNetwork host, AgentOptions options, NetworkConfig config) {
    return select(host, options, config.enableIpv4(), config.enableIpv6());
  }

  private static ExternalInterface select(HostNetwork host, AgentOptions options, boolean v4, boolean v6) {
    Needs needs = new Needs(v4, v6, options);
    List<HostInterface> all = host.interfaces();
    List<String> reasons = new ArrayList<>();
    boolean explicit = !options.interfaces().isEmpty() || !options.interfaceRegexes().isEmpty()
        || options.interfaceCanReach().isPresent();
    if (!explicit) {
      Candidate c;
      if (v4 && options.publicIp().isPresent()) {
        Ip4 ip = options.publicIp().get();
        log.info("Searching for interface using {}", ip);
        c = byAddress(all, ip).orElseThrow(() -> new AgentException("Failed to find any valid interface to use:"
            + " no interface has the public IP " + ip + "; behind NAT, name the interface with --iface and keep"
            + " --public-ip"));
      } else if (!v4 && options.publicIpv6().isPresent()) {
        Ip6 ip = options.publicIpv6().get();
        log.info("Searching for interface using {}", ip);
        c = byAddress(all, ip).orElseThrow(() -> new AgentException("Failed to find any valid interface to use:"
            + " no interface has the public IPv6 address " + ip + "; behind NAT, name the interface with --iface"
            + " and keep --public-ipv6"));
      } else {
        String family = v4 ? "IPv4" : "IPv6";
        Optional<Integer> idx = v4 ? host.defaultRouteInterface() : host.defaultIpv6RouteInterface();
        c = idx.flatMap(i -> byIndex(all, i)).orElseThrow(() -> new AgentException("Failed to find any valid"
            + " interface to use: there is no " + family + " default route; name an interface with --iface"));
      }
      return needs.resolve(c, reasons).orElseThrow(() -> new AgentException(
          "Failed to find any valid interface to use: " + String.join("; ", reasons) + needs.hint()));
    }
    List<String> tried = new ArrayList<>();
    for (String spec : options.interfaces()) {
      log.info("Searching for interface using {}", spec);
      tried.add(spec);
      Optional<IpAddress> literal = ipLiteral(spec);
      Optional<Candidate> c = literal.isPresent() ? byAddress(all, literal.get()) : byName(all, spec);
      if (c.isEmpty()) {
        reasons.add("no interface " + (literal.isPresent() ? "has the address " : "is named ") + spec);
        continue;
      }
      Optional<ExternalInterface> ext = needs.resolve(c.get(), reasons);
      if (ext.isPresent()) {
        return ext.get();
      }
    }
    for (Pattern p : options.interfaceRegexes()) {
      tried.add("regex " + p.pattern());
      for (Candidate c : byRegex(all, p, needs)) {
        Optional<ExternalInterface> ext = needs.resolve(c, reasons);
        if (ext.isPresent()) {
          return ext.get();
        }
      }
    }
    if (options.interfaceCanReach().isPresent()) {
      IpAddress target = options.interfaceCanReach().get();
      tried.add("can-reach " + target);
      Optional<Candidate> c = host.routeInterfaceTo(target).flatMap(i -> byIndex(all, i));
      if (c.isEmpty()) {
        reasons.add("no route to " + target);
      } else {
        Optional<ExternalInterface> ext = needs.resolve(c.get(), reasons);
        if (ext.isPresent()) {
          return ext.get();
        }
      }
    }
    throw new AgentException("Failed to find any valid interface to use: none of " + tried + " matches an interface"
        + " with " + needs.what() + (reasons.isEmpty() ? "" : " (" + String.join("; ", reasons) + ")") + needs.hint());
  }

  /** An interface, and the address it was found by, if any. */
  private record Candidate(HostInterface iface, Optional<IpAddress> via) {}

  /** What the enabled families need of an interface, and the options that fill the gaps. */
  private record Needs(boolean v4, boolean v6, AgentOptions options) {

    /** Returns the external interface {@code c} gives, or adds why it does not to {@code reasons}. */
    Optional<ExternalInterface> resolve(Candidate c, List<String> reasons) {
      HostInterface i = c.iface();
      Ip4 addr = Ip4.ANY;
      if (v4) {
        Optional<Ip4> a = c.via().filter(Ip4.class::isInstance).map(Ip4.class::cast).or(() -> firstIpv4(i));
        if (a.isEmpty()) {
          reasons.add(i.name() + " has no IPv4 address");
          return Optional.empty();
        }
        addr = a.get();
      }
      Optional<Ip6> addr6 = Optional.empty();
      if (v6) {
        // The backends need a local IPv6 address (vxlan's local, host-gw's NAT check): --public-ipv6
        // only changes what is published. If it is one of the interface's own, that one is local too.
        Optional<Ip6> own = options.publicIpv6().filter(p -> i.ips().contains(p));
        addr6 = c.via().filter(Ip6.class::isInstance).map(Ip6.class::cast).or(() -> own).or(() -> bestIpv6(i));
        if (addr6.isEmpty()) {
          reasons.add(i.name() + " has no usable IPv6 address (one neither temporary nor deprecated)");
          return Optional.empty();
        }
      }
      Ip4 ext = v4 ? options.publicIp().orElse(addr) : Ip4.ANY;
      Optional<Ip6> local6 = addr6;
      Optional<Ip6> ext6 = v6 ? options.publicIpv6().or(() -> local6) : Optional.empty();
      if (v4) {
        log.info("Using interface with name {} and address {}", i.name(), addr);
        if (options.publicIp().isEmpty()) {
          log.info("Defaulting external address to interface address ({})", addr);
        }
      }
      if (v6) {
        addr6.ifPresent(a -> log.info("Using interface with name {} and v6 address {}", i.name(), a));
        if (options.publicIpv6().isEmpty()) {
          log.info("Defaulting external v6 address to interface address ({})", addr6.get());
        }
      }
      return Optional.of(new ExternalInterface(i.name(), i.index(), i.mtu(), addr, ext, addr6, ext6));
    }

    /** Whether an address of this family takes part in the choice. */
    boolean wants(IpAddress a) {
      return a instanceof Ip4 ? v4 : v6;
    }

    String what() {
      return v4 && v6 ? "an IPv4 and a usable IPv6 address" : v4 ? "an IPv4 address" : "a usable IPv6 address";
    }

    String hint() {
      return v6 ? "; the network config enables IPv6: name an interface that has an IPv6 address with --iface"
          + " (--public-ipv6 then sets the address to publish, e.g. behind NAT)" : "";
    }
  }

  private static Optional<IpAddress> ipLiteral(String s) {
    if (s.indexOf(':') < 0 && !s.matches("[0-9.]+")) {
      return Optional.empty();
    }
    try {
      return Optional.of(IpAddress.parse(s));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Optional<Ip4> firstIpv4(HostInterface i) {
    return i.ips().stream().filter(Ip4.class::isInstance).map(Ip4.class::cast).findFirst();
  }

  /** flannel's order: global before link-local, then permanent before dynamic; kernel order within. */
  static Optional<Ip6> bestIpv6(HostInterface i) {
    return i.addresses().stream()
        .filter(a -> a.ip() instanceof Ip6 && a.usable())
        .sorted(Comparator.comparing((HostAddress a) -> !a.global()).thenComparing(a -> !a.permanent()))
        .map(a -> (Ip6) a.ip())
        .findFirst();
  }

  private static Optional<Candidate> byAddress(List<HostInterface> all, IpAddress ip) {
    return all.stream().filter(i -> i.ips().contains(ip)).findFirst().map(i -> new Candidate(i, Optional.of(ip)));
  }

  private static Optional<Candidate> byName(List<HostInterface> all, String name) {
    return all.stream().filter(i -> i.name().equals(name)).findFirst().map(i -> new Candidate(i, Optional.empty()));
  }

  private static Optional<Candidate> byIndex(List<HostInterface> all, int index) {
    return all.stream().filter(i -> i.index() == index).findFirst().map(i -> new Candidate(i, Optional.empty()));
  }

  /** flannel matches the regex against addresses first, then against names. */
  private static List<Candidate> byRegex(List<HostInterface> all, Pattern p, Needs needs) {
    List<Candidate> out = new ArrayList<>();
    for (HostInterface i : all) {
      for (IpAddress a : i.ips()) {
        if (needs.wants(a) && p.matcher(a.toString()).matches()) {
          out.add(new Candidate(i, Optional.of(a)));
        }
      }
    }
    for (HostInterface i : all) {
      if (p.matcher(i.name()).matches()) {
        out.add(new Candidate(i, Optional.empty()));
      }
    }
    return out;
  }
}
