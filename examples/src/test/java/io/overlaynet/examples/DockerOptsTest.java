package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden outputs are flannel's own ({@code dist/mk_docker_opts_test.go}), reference §5.3. */
class DockerOptsTest {

  static final String SAMPLE = "FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.74.1/24\nFLANNEL_MTU=1472\n"
      + "FLANNEL_IPMASQ=false\n";

  @TempDir
  Path dir;

  String run(String... flags) throws Exception {
    Path in = dir.resolve("subnet.env");
    Path out = dir.resolve("docker_opts.env");
    Files.writeString(in, SAMPLE);
    Files.deleteIfExists(out);
    List<String> args = new java.util.ArrayList<>(List.of("docker-opts", "-f", in.toString(), "-d", out.toString()));
    args.addAll(List.of(flags));
    int rc = OverlayAgent.commandLine(Map.of()).execute(args.toArray(String[]::new));
    assertEquals(0, rc);
    return Files.readString(out);
  }

  @Test
  void defaultWritesIndividualAndCombined() throws Exception {
    assertEquals("DOCKER_OPT_BIP=\"--bip=10.1.74.1/24\"\nDOCKER_OPT_IPMASQ=\"--ip-masq=true\"\n"
        + "DOCKER_OPT_MTU=\"--mtu=1472\"\nDOCKER_OPTS=\" --bip=10.1.74.1/24 --ip-masq=true --mtu=1472\"\n", run());
  }

  @Test
  void individualOnly() throws Exception {
    assertEquals("DOCKER_OPT_BIP=\"--bip=10.1.74.1/24\"\nDOCKER_OPT_IPMASQ=\"--ip-masq=true\"\n"
        + "DOCKER_OPT_MTU=\"--mtu=1472\"\n", run("-i"));
  }

  @Test
  void combinedOnly() throws Exception {
    assertEquals("DOCKER_OPTS=\" --bip=10.1.74.1/24 --ip-masq=true --mtu=1472\"\n", run("-c"));
  }

  @Test
  void customKey() throws Exception {
    assertEquals("DOCKER_OPT_BIP=\"--bip=10.1.74.1/24\"\nDOCKER_OPT_IPMASQ=\"--ip-masq=true\"\n"
        + "DOCKER_OPT_MTU=\"--mtu=1472\"\nCUSTOM_KEY=\" --bip=10.1.74.1/24 --ip-masq=true --mtu=1472\"\n",
        run("-k", "CUSTOM_KEY"));
  }

  @Test
  void stripIpMasq() throws Exception {
    assertEquals("DOCKER_OPT_BIP=\"--bip=10.1.74.1/24\"\nDOCKER_OPT_MTU=\"--mtu=1472\"\n"
        + "DOCKER_OPTS=\" --bip=10.1.74.1/24 --mtu=1472\"\n", run("-m"));
  }

  @Test
  void masqueradingFlannelTurnsDockersOff() {
    String text = DockerOpts.render(Map.of("FLANNEL_SUBNET", "10.5.96.1/24", "FLANNEL_MTU", "1450",
        "FLANNEL_IPMASQ", "true"), false, true, "DOCKER_NETWORK_OPTIONS", null, true);
    assertEquals("DOCKER_NETWORK_OPTIONS=\" --bip=10.5.96.1/24 --ip-masq=false --mtu=1450\"\n", text);
  }

  /** B10's dual-stack subnet.env: flannel's output ignores IPv6; --ipv6 adds Docker's options. */
  @Test
  void ipv6OptionsOnlyBehindTheirFlag() {
    Map<String, String> dual = Map.of("FLANNEL_NETWORK", "10.5.0.0/16", "FLANNEL_SUBNET", "10.5.72.1/24",
        "FLANNEL_IPV6_NETWORK", "fd00:5::/56", "FLANNEL_IPV6_SUBNET", "fd00:5:0:3a::1/64", "FLANNEL_MTU", "1450",
        "FLANNEL_IPMASQ", "true");
    assertEquals("DOCKER_OPTS=\" --bip=10.5.72.1/24 --ip-masq=false --mtu=1450\"\n",
        DockerOpts.render(dual, false, true, "DOCKER_OPTS", null, true));
    assertEquals("DOCKER_OPT_BIP=\"--bip=10.5.72.1/24\"\nDOCKER_OPT_FIXED_CIDR_V6=\"--fixed-cidr-v6=fd00:5:0:3a::/64\"\n"
        + "DOCKER_OPT_IPMASQ=\"--ip-masq=false\"\nDOCKER_OPT_IPV6=\"--ipv6\"\nDOCKER_OPT_MTU=\"--mtu=1450\"\n"
        + "DOCKER_OPTS=\" --bip=10.5.72.1/24 --fixed-cidr-v6=fd00:5:0:3a::/64 --ip-masq=false --ipv6 --mtu=1450\"\n",
        DockerOpts.render(dual, true, true, "DOCKER_OPTS", null, true, true));
  }

  @Test
  void invalidIpMasqValueFails() throws Exception {
    Path in = dir.resolve("bad.env");
    Files.writeString(in, "FLANNEL_SUBNET=10.1.74.1/24\nFLANNEL_IPMASQ=maybe\n");
    StringWriter err = new StringWriter();
    var cl = OverlayAgent.commandLine(Map.of());
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute("docker-opts", "-f", in.toString(), "-d", dir.resolve("o.env").toString());
    assertEquals(1, rc);
    assertEquals("Invalid value of FLANNEL_IPMASQ: maybe", err.toString().trim());
    assertTrue(!Files.exists(dir.resolve("o.env")), "nothing is written on bad input");
  }
}
