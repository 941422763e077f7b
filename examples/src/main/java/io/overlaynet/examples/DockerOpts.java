package io.overlaynet.examples;

import io.overlaynet.ip.Ip6Net;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What flannel's {@code mk-docker-opts.sh} writes: Docker daemon options derived from
 * {@code subnet.env}, as individual {@code DOCKER_OPT_*} variables and/or one combined variable.
 *
 * <pre>{@code
 * DOCKER_OPT_BIP="--bip=10.1.74.1/24"
 * DOCKER_OPT_IPMASQ="--ip-masq=true"
 * DOCKER_OPT_MTU="--mtu=1472"
 * DOCKER_OPTS=" --bip=10.1.74.1/24 --ip-masq=true --mtu=1472"
 * }</pre>
 *
 * <p>Docker must not masquerade what flannel already masquerades, so {@code --ip-masq} is the
 * inverse of {@code FLANNEL_IPMASQ}.
 */
public final class DockerOpts {

  private DockerOpts() {}

  /**
   * Renders the Docker env file.
   *
   * @param flannelEnv the variables of {@code subnet.env}
   * @param individual write {@code DOCKER_OPT_*} lines ({@code -i})
   * @param combined write the combined line ({@code -c})
   * @param combinedKey the combined variable name ({@code -k}, default {@code DOCKER_OPTS})
   * @param existingCombined the combined variable's current value in the environment, prepended
   * @param ipMasq whether to emit {@code --ip-masq} (false with {@code -m})
   * @throws IllegalArgumentException if {@code FLANNEL_IPMASQ} is neither true nor false
   */
  public static String render(Map<String, String> flannelEnv, boolean individual, boolean combined,
      String combinedKey, String existingCombined, boolean ipMasq) {
    return render(flannelEnv, individual, combined, combinedKey, existingCombined, ipMasq, false);
  }

  /**
   * Renders the Docker env file, with Docker's IPv6 options when {@code ipv6} is set and
   * {@code subnet.env} has {@code FLANNEL_IPV6_SUBNET}: {@code --ipv6} and
   * {@code --fixed-cidr-v6=<the node's IPv6 subnet>}. flannel's script ignores IPv6, so this is
   * behind a flag of its own and the default output stays flannel's.
   *
   * @throws IllegalArgumentException if {@code FLANNEL_IPMASQ} is neither true nor false, or
   *     {@code FLANNEL_IPV6_SUBNET} is not an IPv6 CIDR
   */
  public static String render(Map<String, String> flannelEnv, boolean individual, boolean combined,
      String combinedKey, String existingCombined, boolean ipMasq, boolean ipv6) {
    if (!individual && !combined) {
      individual = true;
      combined = true;
    }
    // Alphabetical, as the script lists them with compgen.
    List<String[]> opts = new ArrayList<>();
    String subnet = flannelEnv.getOrDefault("FLANNEL_SUBNET", "");
    if (!subnet.isEmpty()) {
      opts.add(new String[] {"DOCKER_OPT_BIP", "--bip=" + subnet});
    }
    String subnet6 = flannelEnv.getOrDefault("FLANNEL_IPV6_SUBNET", "");
    boolean withIpv6 = ipv6 && !subnet6.isEmpty();
    if (withIpv6) {
      Ip6Net net6;
      try {
        net6 = Ip6Net.parse(subnet6);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Invalid value of FLANNEL_IPV6_SUBNET: " + subnet6);
      }
      opts.add(new String[] {"DOCKER_OPT_FIXED_CIDR_V6", "--fixed-cidr-v6=" + net6});
    }
    String masq = flannelEnv.getOrDefault("FLANNEL_IPMASQ", "");
    if (ipMasq && !masq.isEmpty()) {
      switch (masq) {
        case "true" -> opts.add(new String[] {"DOCKER_OPT_IPMASQ", "--ip-masq=false"});
        case "false" -> opts.add(new String[] {"DOCKER_OPT_IPMASQ", "--ip-masq=true"});
        default -> throw new IllegalArgumentException("Invalid value of FLANNEL_IPMASQ: " + masq);
      }
    }
    if (withIpv6) {
      opts.add(new String[] {"DOCKER_OPT_IPV6", "--ipv6"});
    }
    String mtu = flannelEnv.getOrDefault("FLANNEL_MTU", "");
    if (!mtu.isEmpty()) {
      opts.add(new String[] {"DOCKER_OPT_MTU", "--mtu=" + mtu});
    }
    StringBuilder out = new StringBuilder();
    StringBuilder all = new StringBuilder(existingCombined == null ? "" : existingCombined);
    for (String[] o : opts) {
      if (individual) {
        out.append(o[0]).append("=\"").append(o[1]).append("\"\n");
      }
      all.append(' ').append(o[1]);
    }
    if (combined) {
      out.append(combinedKey).append("=\"").append(all).append("\"\n");
    }
    return out.toString();
  }
}
