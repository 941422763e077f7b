package io.overlaynet.agent;

import io.overlaynet.ExternalInterface;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the external interface as flanneld does ({@code main.go}, {@code pkg/ipmatch}): each
 * {@code --iface} (name or IP) in order, then each {@code --iface-regex} (matched against addresses,
 * then names), then {@code --iface-can-reach}; with none of these, the interface owning
 * {@code --public-ip}, else the interface of the default route.
 *
 * <p>Internal helper of {@link Agent}; public so embedders can preview the choice.
 */
public final class InterfaceSelector {

  private static final Logger log = LoggerFactory.getLogger(InterfaceSelector.class);

  private InterfaceSelector() {}

  /**
   * Selects the external interface.
   *
   * @throws AgentException naming what was tried if no interface matches
   */
  public static ExternalInterface select(HostNetwork host, AgentOptions options) {
    List<HostInterface> all = host.interfaces();
    boolean explicit = !options.interfaces().isEmpty() || !options.interfaceRegexes().isEmpty()
        || options.interfaceCanReach().isPresent();
    Optional<Match> match = Optional.empty();
    if (!explicit) {
      if (options.publicIp().isPresent()) {
        Ip4 ip = options.publicIp().get();
        log.info("Searching for interface using {}", ip);
        match = byAddress(all, ip);
        if (match.isEmpty()) {
          throw new AgentException("Failed to find any valid interface to use: no interface has the public IP " + ip
              + "; behind NAT, name the interface with --iface and keep --public-ip");
        }
      } else {
        Optional<Integer> idx = host.defaultRouteInterface();
        match = idx.flatMap(i -> byIndex(all, i));
        if (match.isEmpty()) {
          throw new AgentException("Failed to find any valid interface to use: there is no IPv4 default route"
              + " with an IPv4 address; name one with --iface");
        }
      }
    }
    for (String spec : options.interfaces()) {
      if (match.isPresent()) {
        break;
      }
      log.info("Searching for interface using {}", spec);
      match = isIpv4Literal(spec) ? byAddress(all, Ip4.parse(spec)) : byName(all, spec);
    }
    for (Pattern p : options.interfaceRegexes()) {
      if (match.isPresent()) {
        break;
      }
      match = byRegex(all, p);
    }
    if (match.isEmpty() && options.interfaceCanReach().isPresent()) {
      IpAddress target = options.interfaceCanReach().get();
      match = host.routeInterfaceTo(target).flatMap(i -> byIndex(all, i));
    }
    if (match.isEmpty()) {
      List<String> tried = new ArrayList<>(options.interfaces());
      options.interfaceRegexes().forEach(p -> tried.add("regex " + p.pattern()));
      options.interfaceCanReach().ifPresent(ip -> tried.add("can-reach " + ip));
      throw new AgentException("Failed to find any valid interface to use: none of " + tried
          + " matches an up interface with an IPv4 address");
    }
    Match m = match.get();
    Ip4 ext = options.publicIp().orElse(m.address);
    log.info("Using interface with name {} and address {}", m.iface.name(), m.address);
    if (options.publicIp().isEmpty()) {
      log.info("Defaulting external address to interface address ({})", m.address);
    }
    return new ExternalInterface(m.iface.name(), m.iface.index(), m.iface.mtu(), m.address, ext,
        Optional.empty(), Optional.empty());
  }

  private record Match(HostInterface iface, Ip4 address) {}

  private static boolean isIpv4Literal(String s) {
    try {
      Ip4.parse(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Optional<Ip4> firstIpv4(HostInterface i) {
    return i.addresses().stream().filter(a -> a instanceof Ip4).map(a -> (Ip4) a).findFirst();
  }

  private static Optional<Match> byAddress(List<HostInterface> all, Ip4 ip) {
    return all.stream().filter(i -> i.addresses().contains(ip)).findFirst().map(i -> new Match(i, ip));
  }

  private static Optional<Match> byName(List<HostInterface> all, String name) {
    return all.stream().filter(i -> i.name().equals(name)).findFirst()
        .flatMap(i -> firstIpv4(i).map(a -> new Match(i, a)));
  }

  private static Optional<Match> byIndex(List<HostInterface> all, int index) {
    return all.stream().filter(i -> i.index() == index).findFirst()
        .flatMap(i -> firstIpv4(i).map(a -> new Match(i, a)));
  }

  private static Optional<Match> byRegex(List<HostInterface> all, Pattern p) {
    // flannel matches the regex against addresses first, then against names.
    for (HostInterface i : all) {
      for (IpAddress a : i.addresses()) {
        if (a instanceof Ip4 ip4 && p.matcher(ip4.toString()).matches()) {
          return Optional.of(new Match(i, ip4));
        }
      }
    }
    for (HostInterface i : all) {
      if (p.matcher(i.name()).matches()) {
        Optional<Match> m = firstIpv4(i).map(a -> new Match(i, a));
        if (m.isPresent()) {
          return m;
        }
      }
    }
    return Optional.empty();
  }
}
