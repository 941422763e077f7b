package io.overlaynet.traffic;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpNet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * flannel's iptables rules, rendered as pure data: the same tables, chains, arguments and order as
 * flanneld HEAD ({@code pkg/trafficmngr/iptables/iptables.go}), and the {@code iptables-restore}
 * payloads that install or delete them. Nothing here runs a command; use it for golden tests or to
 * apply the rules with your own tooling.
 *
 * <pre>{@code
 * List<IptablesRules.Rule> rules = IptablesRules.masqRules(
 *     Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.96.0/24"), true);
 * rules.get(0).toString();   // -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
 * String payload = IptablesRules.restorePayload(rules);   // feed to: iptables-restore --noflush
 * }</pre>
 *
 * <p>Order: flanneld HEAD (v0.24.3 and later) appends the jump rules with {@code -A} and puts the two
 * podCIDR/Network RETURN rules before the MASQUERADE rules. flanneld v0.20.2 inserted the jumps
 * with {@code -I} and used another order (and no podCIDR-to-Network RETURN pair); we follow HEAD.
 */
public final class IptablesRules {

  /** The nat chain holding the masquerade rules. */
  public static final String MASQ_CHAIN = "FLANNEL-POSTRTG";
  /** The filter chain holding the forward rules. */
  public static final String FORWARD_CHAIN = "FLANNEL-FWD";
  /** The comment on every masquerade rule. */
  public static final String MASQ_COMMENT = "flanneld masq";
  /** The comment on every forward rule. */
  public static final String FORWARD_COMMENT = "flanneld forward";
  /**
   * kube-proxy's masquerade mark: packets kube-proxy already marked for masquerading are left to
   * kube-proxy, which avoids double NAT on some kernels (flannel's {@code KubeProxyMark}).
   */
  public static final String KUBE_PROXY_MARK = "0x4000/0x4000";

  private static final Set<String> BUILTIN_CHAINS =
      Set.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING");

  private IptablesRules() {}

  /**
   * One rule: a table, a chain and the rule specification after the chain name.
   *
   * <p>{@link #toString()} is the line {@code iptables-save} prints for it, e.g.
   * {@code -A FLANNEL-FWD -s 10.5.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT}.
   *
   * @param table the table, e.g. {@code nat}
   * @param chain the chain, e.g. {@code FLANNEL-POSTRTG}
   * @param args the rule specification, one argument per element, unquoted
   */
  public record Rule(String table, String chain, List<String> args) {

    /**
     * Checks and copies the components.
     *
     * @throws IllegalArgumentException if the table or chain is empty or holds whitespace, or args is empty
     */
    public Rule {
      checkArgument(table != null && table.matches("[a-z]+"), "invalid table: %s", table);
      checkArgument(chain != null && chain.matches("\\S+"), "invalid chain: %s", chain);
      args = List.copyOf(args);
      checkArgument(!args.isEmpty(), "a rule needs at least one argument: %s", chain);
    }

    /** Returns the chain this rule jumps to ({@code -j X}), if any. */
    public Optional<String> jumpTarget() {
      int j = args.lastIndexOf("-j");
      return j >= 0 && j + 1 < args.size() ? Optional.of(args.get(j + 1)) : Optional.empty();
    }

    /** Returns whether the rule lives in a built-in chain such as {@code POSTROUTING}. */
    public boolean inBuiltinChain() {
      return BUILTIN_CHAINS.contains(chain);
    }

    /** Returns the restore/save line with {@code action} ({@code -A}, {@code -D}), quoted as iptables-save quotes. */
    public String line(String action) {
      StringBuilder sb = new StringBuilder(action).append(' ').append(chain);
      for (int i = 0; i < args.size(); i++) {
        sb.append(' ').append(quote(args.get(i), i > 0 && args.get(i - 1).equals("--comment")));
      }
      return sb.toString();
    }

    /** Returns {@code -A CHAIN args...} as {@code iptables-save} prints it. */
    @Override
    public String toString() {
      return line("-A");
    }
  }

  /**
   * Returns the IPv4 masquerade rules for {@code network} (flannel's {@code Network}) and this
   * node's {@code lease} (its podCIDR), in flanneld HEAD's order.
   *
   * @param randomFully whether the two MASQUERADE rules get {@code --random-fully}
   */
  public static List<Rule> masqRules(Ip4Net network, Ip4Net lease, boolean randomFully) {
    return masq(network.toString(), lease.toString(), "224.0.0.0/4", randomFully);
  }

  /**
   * Returns the IPv6 masquerade rules (for ip6tables); as {@link #masqRules} with multicast
   * {@code ff00::/8}.
   *
   * @param randomFully whether the two MASQUERADE rules get {@code --random-fully}
   */
  public static List<Rule> masqRules6(Ip6Net network, Ip6Net lease, boolean randomFully) {
    return masq(network.toString(), lease.toString(), "ff00::/8", randomFully);
  }

  private static List<Rule> masq(String net, String pod, String multicast, boolean randomFully) {
    List<String> masquerade = randomFully ? List.of("-j", "MASQUERADE", "--random-fully") : List.of("-j", "MASQUERADE");
    List<Rule> rules = new ArrayList<>();
    // The jump is appended, not inserted: flanneld HEAD lets rules that others put first win.
    rules.add(nat("POSTROUTING", comment(MASQ_COMMENT), List.of("-j", MASQ_CHAIN)));
    // Leave what kube-proxy marked to kube-proxy: double NAT breaks on some kernels.
    rules.add(nat(MASQ_CHAIN, List.of("-m", "mark", "--mark", KUBE_PROXY_MARK), comment(MASQ_COMMENT),
        List.of("-j", "RETURN")));
    // Traffic inside the overlay keeps its pod source address.
    rules.add(nat(MASQ_CHAIN, List.of("-s", pod, "-d", net), comment(MASQ_COMMENT), List.of("-j", "RETURN")));
    rules.add(nat(MASQ_CHAIN, List.of("-s", net, "-d", pod), comment(MASQ_COMMENT), List.of("-j", "RETURN")));
    // External traffic arriving for a pod on this node is not masqueraded.
    rules.add(nat(MASQ_CHAIN, List.of("!", "-s", net, "-d", pod), comment(MASQ_COMMENT), List.of("-j", "RETURN")));
    // Pods talking to the outside world, except multicast.
    rules.add(nat(MASQ_CHAIN, List.of("-s", net, "!", "-d", multicast), comment(MASQ_COMMENT), masquerade));
    // The host talking into the overlay.
    rules.add(nat(MASQ_CHAIN, List.of("!", "-s", net, "-d", net), comment(MASQ_COMMENT), masquerade));
    return List.copyOf(rules);
  }

  /** Returns the forward rules accepting traffic from and to {@code network} (IPv4 or IPv6). */
  public static List<Rule> forwardRules(IpNet network) {
    String net = network.toString();
    return List.of(
        new Rule("filter", "FORWARD", concat(comment(FORWARD_COMMENT), List.of("-j", FORWARD_CHAIN))),
        new Rule("filter", FORWARD_CHAIN, concat(List.of("-s", net), comment(FORWARD_COMMENT), List.of("-j", "ACCEPT"))),
        new Rule("filter", FORWARD_CHAIN, concat(List.of("-d", net), comment(FORWARD_COMMENT), List.of("-j", "ACCEPT"))));
  }

  /**
   * Returns the payload that installs {@code rules} on a host where none of them exist yet:
   * every non-built-in chain they use is declared (created, or flushed if it exists) and every rule
   * is appended. Feed it to {@code iptables-restore --noflush}.
   */
  public static String restorePayload(List<Rule> rules) {
    return restorePayload(rules, Set.of(), ownChains(rules));
  }

  /**
   * Returns flannel's {@code ipTablesCleanAndBuild} payload: per table {@code *table}, a
   * {@code :CHAIN - [0:0]} line for each chain in {@code resetChains} (iptables-restore
   * {@code --noflush} creates it, or flushes it if it exists), then for each rule in order a
   * {@code -D} if it is in {@code present} and then its {@code -A}, so the rules end up contiguous
   * and in order; then {@code COMMIT}. Rules in a reset chain are never deleted: the flush already
   * removed them, and deleting a missing rule would fail the whole restore.
   *
   * @param rules the rules in the order they must end up
   * @param present the rules that exist now (e.g. found with {@code iptables -C})
   * @param resetChains the chains to create or flush
   */
  public static String restorePayload(List<Rule> rules, Set<Rule> present, Set<String> resetChains) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<Rule>> table : byTable(rules).entrySet()) {
      sb.append('*').append(table.getKey()).append('\n');
      for (String chain : ownChains(table.getValue())) {
        if (resetChains.contains(chain)) {
          sb.append(':').append(chain).append(" - [0:0]\n");
        }
      }
      for (Rule rule : table.getValue()) {
        if (present.contains(rule) && !resetChains.contains(rule.chain())) {
          sb.append(rule.line("-D")).append('\n');
        }
        sb.append(rule.line("-A")).append('\n');
      }
      sb.append("COMMIT\n");
    }
    return sb.toString();
  }

  /**
   * Returns the payload that deletes {@code rules} (flannel's {@code teardownIPTables}); pass only
   * rules that exist, since deleting a missing rule fails the restore. Empty if {@code rules} is.
   */
  public static String deletePayload(Collection<Rule> rules) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<Rule>> table : byTable(rules).entrySet()) {
      sb.append('*').append(table.getKey()).append('\n');
      for (Rule rule : table.getValue()) {
        sb.append(rule.line("-D")).append('\n');
      }
      sb.append("COMMIT\n");
    }
    return sb.toString();
  }

  /** Returns the non-built-in chains {@code rules} live in, in order of first use. */
  static Set<String> ownChains(Collection<Rule> rules) {
    Set<String> chains = new LinkedHashSet<>();
    for (Rule rule : rules) {
      if (!rule.inBuiltinChain()) {
        chains.add(rule.chain());
      }
    }
    return chains;
  }

  private static Map<String, List<Rule>> byTable(Collection<Rule> rules) {
    Map<String, List<Rule>> tables = new LinkedHashMap<>();
    for (Rule rule : rules) {
      tables.computeIfAbsent(Objects.requireNonNull(rule).table(), t -> new ArrayList<>()).add(rule);
    }
    return tables;
  }

  // iptables-restore tokenises its input itself, so a comment with a space must be quoted; flannel
  // quotes every comment, which is also how iptables-save prints them.
  private static String quote(String arg, boolean afterComment) {
    if (!afterComment && !arg.isEmpty() && arg.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"')) {
      return arg;
    }
    return '"' + arg.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static List<String> comment(String text) {
    return List.of("-m", "comment", "--comment", text);
  }

  private static Rule nat(String chain, List<String> a, List<String> b) {
    return new Rule("nat", chain, concat(a, b));
  }

  private static Rule nat(String chain, List<String> a, List<String> b, List<String> c) {
    return new Rule("nat", chain, concat(a, b, c));
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> p : parts) {
      all.addAll(p);
    }
    return all;
  }
}
