package io.overlaynet.traffic;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import io.overlaynet.ip.IpNet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * flannel's nftables rules ({@code "EnableNFTables": true}), rendered as pure data: the same
 * tables, chains, hooks, priorities, rules and comments as flanneld v0.28.x
 * ({@code pkg/trafficmngr/nftables/nftables.go}, written through knftables), and the {@code nft -f}
 * scripts that install or replace them. Nothing here runs a command.
 *
 * <pre>{@code
 * NftablesRules.Chain masq = NftablesRules.masqChain(
 *     Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.96.0/24"), true);
 * masq.rules().get(0);                     // meta mark 0x4000 return
 * String script = NftablesRules.setupScript(masq);   // feed to: nft -f -
 * }</pre>
 *
 * <p>Every rule lives in one of two tables that flannel owns whole: {@code ip flannel-ipv4} and
 * {@code ip6 flannel-ipv6}, each with a {@code forward} chain (filter, hook forward, priority
 * filter) and a {@code postrtg} chain (nat, hook postrouting, priority srcnat). Compared with the
 * iptables rules ({@link IptablesRules}) the kube-proxy mark is matched exactly (no mask) and the
 * fourth masquerade rule reads {@code saddr != podCIDR daddr Network return}, as flannel has them.
 */
public final class NftablesRules {

  /** The chain holding the forward rules, in each family's table. */
  public static final String FORWARD_CHAIN = "forward";
  /** The chain holding the masquerade rules, in each family's table. */
  public static final String MASQ_CHAIN = "postrtg";
  /** The comment on the forward chain. */
  public static final String FORWARD_COMMENT = "chain to accept flannel traffic";
  /** The comment on the masquerade chain. */
  public static final String MASQ_COMMENT = "chain to manage traffic masquerading by flannel";
  /**
   * kube-proxy's masquerade mark, which flannel matches exactly: packets kube-proxy marked are
   * left to kube-proxy, which avoids double NAT on some kernels.
   */
  public static final String KUBE_PROXY_MARK = "0x4000";

  /** nft's {@code filter} priority, as knftables writes it (a number: older nft reject some names). */
  static final int FILTER_PRIORITY = 0;
  /** nft's {@code srcnat} priority. */
  static final int SRCNAT_PRIORITY = 100;

  private NftablesRules() {}

  /** An address family and the table flannel keeps for it. */
  public enum Family {
    /** {@code table ip flannel-ipv4}. */
    IPV4("ip", "flannel-ipv4", "224.0.0.0/4"),
    /** {@code table ip6 flannel-ipv6}. */
    IPV6("ip6", "flannel-ipv6", "ff00::/8");

    private final String nftFamily;
    private final String table;
    private final String multicast;

    Family(String nftFamily, String table, String multicast) {
      this.nftFamily = nftFamily;
      this.table = table;
      this.multicast = multicast;
    }

    /** Returns nft's name of the family, {@code ip} or {@code ip6}; also the address match keyword. */
    public String nftFamily() {
      return nftFamily;
    }

    /** Returns the table's name, {@code flannel-ipv4} or {@code flannel-ipv6}. */
    public String table() {
      return table;
    }

    /** Returns the table's comment, {@code rules for flannel-ipv4}. */
    public String tableComment() {
      return "rules for " + table;
    }

    /** Returns {@code ip flannel-ipv4} or {@code ip6 flannel-ipv6}, as nft commands name the table. */
    public String qualifiedTable() {
      return nftFamily + " " + table;
    }

    /** Returns the family of {@code net}. */
    public static Family of(IpNet net) {
      return net instanceof Ip4Net ? IPV4 : IPV6;
    }

    @Override
    public String toString() {
      return this == IPV4 ? "IPv4" : "IPv6";
    }
  }

  /**
   * One base chain of a flannel table and its rules.
   *
   * @param family the table's family
   * @param name the chain, {@code forward} or {@code postrtg}
   * @param type the chain type, {@code filter} or {@code nat}
   * @param hook the hook, {@code forward} or {@code postrouting}
   * @param priority the priority as a number ({@code filter} is 0, {@code srcnat} 100)
   * @param comment the chain's comment
   * @param rules the rules in order, as nft statements after {@code add rule <table> <chain>}
   */
  public record Chain(Family family, String name, String type, String hook, int priority, String comment,
      List<String> rules) {

    /**
     * Checks and copies the components.
     *
     * @throws IllegalArgumentException if a name is empty or holds whitespace, or the comment holds a quote
     */
    public Chain {
      Objects.requireNonNull(family, "family");
      checkArgument(name != null && name.matches("[A-Za-z0-9_-]+"), "invalid chain name: %s", name);
      checkArgument(type != null && type.matches("[a-z]+"), "invalid chain type: %s", type);
      checkArgument(hook != null && hook.matches("[a-z]+"), "invalid hook: %s", hook);
      checkArgument(comment != null && comment.indexOf('"') < 0, "invalid comment: %s", comment);
      rules = List.copyOf(rules);
    }

    /**
     * Returns the command that creates the chain (it leaves an existing chain as it is), as
     * knftables writes it:
     * {@code add chain ip flannel-ipv4 postrtg { type nat hook postrouting priority 100 ; comment "…" ; }}.
     */
    public String addCommand() {
      return "add chain " + family.qualifiedTable() + " " + name + " { type " + type + " hook " + hook
          + " priority " + priority + " ; comment \"" + comment + "\" ; }";
    }

    /** Returns {@code add rule <table> <chain> <rule>} for each rule, in order. */
    public List<String> ruleCommands() {
      String prefix = "add rule " + family.qualifiedTable() + " " + name + " ";
      return rules.stream().map(r -> prefix + r).toList();
    }
  }

  /**
   * Returns the IPv4 masquerade chain for {@code network} (flannel's {@code Network}) and this
   * node's {@code lease} (its podCIDR), with flannel's rules in flannel's order.
   *
   * @param fullyRandom whether the two masquerade statements get {@code fully-random}
   */
  public static Chain masqChain(Ip4Net network, Ip4Net lease, boolean fullyRandom) {
    return masq(Family.IPV4, network.toString(), lease.toString(), fullyRandom);
  }

  /**
   * Returns the IPv6 masquerade chain; as {@link #masqChain} with {@code ip6} matches and
   * multicast {@code ff00::/8}.
   *
   * @param fullyRandom whether the two masquerade statements get {@code fully-random}
   */
  public static Chain masqChain6(Ip6Net network, Ip6Net lease, boolean fullyRandom) {
    return masq(Family.IPV6, network.toString(), lease.toString(), fullyRandom);
  }

  private static Chain masq(Family f, String net, String pod, boolean fullyRandom) {
    String ip = f.nftFamily();
    String masquerade = fullyRandom ? "masquerade fully-random" : "masquerade";
    List<String> rules = List.of(
        // Leave what kube-proxy marked to kube-proxy: double NAT breaks on some kernels.
        "meta mark " + KUBE_PROXY_MARK + " return",
        // Traffic inside the overlay keeps its pod source address.
        ip + " saddr " + pod + " " + ip + " daddr " + net + " return",
        ip + " saddr " + net + " " + ip + " daddr " + pod + " return",
        // flannel's "external traffic arriving for a pod on this node": note the != podCIDR, as in
        // flannel's code (its iptables twin reads ! -s Network -d podCIDR).
        ip + " saddr != " + pod + " " + ip + " daddr " + net + " return",
        // Pods talking to the outside world, except multicast.
        ip + " saddr " + net + " " + ip + " daddr != " + f.multicast + " " + masquerade,
        // The host talking into the overlay.
        ip + " saddr != " + net + " " + ip + " daddr " + net + " " + masquerade);
    return new Chain(f, MASQ_CHAIN, "nat", "postrouting", SRCNAT_PRIORITY, MASQ_COMMENT, rules);
  }

  /** Returns the forward chain accepting traffic from and to {@code network}, in the network's family. */
  public static Chain forwardChain(IpNet network) {
    Family f = Family.of(network);
    String ip = f.nftFamily();
    return new Chain(f, FORWARD_CHAIN, "filter", "forward", FILTER_PRIORITY, FORWARD_COMMENT,
        List.of(ip + " saddr " + network + " accept", ip + " daddr " + network + " accept"));
  }

  /**
   * Returns flannel's {@code Init}: both tables created with their comments (an existing table is
   * left as it is), whatever families are enabled.
   */
  public static String initScript() {
    StringBuilder sb = new StringBuilder();
    for (Family f : Family.values()) {
      sb.append(addTable(f)).append('\n');
    }
    return sb.toString();
  }

  /**
   * Returns flannel's transaction for one chain: create the table and the chain if missing,
   * flush the chain and add its rules. One {@code nft -f} runs it atomically, so traffic never sees
   * the chain empty; rules of a previous network or lease go with the flush.
   */
  public static String setupScript(Chain chain) {
    StringBuilder sb = new StringBuilder();
    sb.append(addTable(chain.family())).append('\n');
    sb.append(chain.addCommand()).append('\n');
    sb.append("flush chain ").append(chain.family().qualifiedTable()).append(' ').append(chain.name()).append('\n');
    chain.ruleCommands().forEach(r -> sb.append(r).append('\n'));
    return sb.toString();
  }

  /**
   * Returns the script that replaces the whole table of {@code family} with one holding exactly
   * {@code chains}, in one transaction: {@code add table} (so that the delete cannot fail),
   * {@code delete table}, then the table and every chain and rule anew. Whatever else was in the
   * table (a chain of an older run, a rule added by hand) is gone afterwards.
   *
   * @throws IllegalArgumentException if a chain belongs to another family
   */
  public static String rebuildScript(Family family, Collection<Chain> chains) {
    StringBuilder sb = new StringBuilder();
    sb.append("add table ").append(family.qualifiedTable()).append('\n');
    sb.append(deleteScript(family));
    sb.append(addTable(family)).append('\n');
    for (Chain c : chains) {
      checkArgument(c.family() == family, "chain %s is not in family %s", c.name(), family);
      sb.append(c.addCommand()).append('\n');
      c.ruleCommands().forEach(r -> sb.append(r).append('\n'));
    }
    return sb.toString();
  }

  /** Returns flannel's {@code CleanUp} for one family: {@code delete table ip flannel-ipv4}. */
  public static String deleteScript(Family family) {
    return "delete table " + family.qualifiedTable() + "\n";
  }

  /**
   * Returns flannel's probe for {@code masquerade fully-random} ({@code utils.go checkRandomfully}),
   * to run with {@code nft --check -f}: a test chain in the IPv4 table, never created for real.
   */
  static String fullyRandomProbeScript() {
    String table = Family.IPV4.qualifiedTable();
    List<String> lines = new ArrayList<>();
    lines.add(addTable(Family.IPV4));
    lines.add("add chain " + table + " masqueradeTest { type nat hook postrouting priority " + SRCNAT_PRIORITY
        + " ; comment \"chain to test if masquerade random fully is supported\" ; }");
    lines.add("flush chain " + table + " masqueradeTest");
    lines.add("add rule " + table + " masqueradeTest ip saddr != 127.0.0.1 masquerade fully-random");
    return String.join("\n", lines) + "\n";
  }

  private static String addTable(Family f) {
    return "add table " + f.qualifiedTable() + " { comment \"" + f.tableComment() + "\" ; }";
  }
}
