package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.agent.AgentOptions;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** flanneld's flags, defaults, Go-style spelling and FLANNELD_* variables (reference §5.1). */
class FlagsTest {

  /** The start of a log line (simplelogger.properties), which runErr leaves out. */
  static final Pattern LOG_LINE = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+(Z|[+-]\\d\\d:\\d\\d) (TRACE|DEBUG|INFO|WARN|ERROR) ");

  static OverlayAgent parse(Map<String, String> env, String... args) {
    CommandLine cl = OverlayAgent.commandLine(env);
    cl.parseArgs(args);
    return cl.getCommand();
  }

  @Test
  void defaultsAreFlanneldsDefaults() {
    OverlayAgent a = parse(Map.of());
    AgentOptions o = a.agentOptions();
    EtcdOptions e = a.etcdOptions();
    assertEquals(List.of(URI.create("http://127.0.0.1:4001"), URI.create("http://127.0.0.1:2379")), e.endpoints());
    assertEquals("/coreos.com/network", e.keyPrefix());
    assertEquals(EtcdOptions.Transport.HTTP, e.transport());
    assertEquals(Optional.of(Path.of("/run/flannel/subnet.env")), o.subnetFile());
    assertEquals(Duration.ofMinutes(60), o.renewMargin());
    assertEquals(Duration.ofSeconds(5), o.resyncPeriod());
    assertFalse(o.ipMasq());
    assertTrue(o.forwardRules());
    assertEquals(List.of(), o.interfaces());
  }

  @Test
  void flagsInGoAndGnuSpelling() {
    OverlayAgent a = parse(Map.of(), "-etcd-endpoints=http://192.0.2.10:23790", "--iface=192.0.2.11", "-iface", "eth1",
        "--ip-masq", "--iptables-forward-rules=false", "-subnet-file=/run/flannel/h1.env",
        "--subnet-lease-renew-margin", "30", "--public-ip=203.0.113.9", "--iface-regex=^10\\..*", "-v=2");
    AgentOptions o = a.agentOptions();
    assertEquals(List.of(URI.create("http://192.0.2.10:23790")), a.etcdOptions().endpoints());
    assertEquals(List.of("192.0.2.11", "eth1"), o.interfaces());
    assertTrue(o.ipMasq());
    assertFalse(o.forwardRules());
    assertEquals(Optional.of(Path.of("/run/flannel/h1.env")), o.subnetFile());
    assertEquals(Duration.ofMinutes(30), o.renewMargin());
    assertEquals(Optional.of(Ip4.parse("203.0.113.9")), o.publicIp());
    assertEquals("^10\\..*", o.interfaceRegexes().get(0).pattern());
  }

  @Test
  void fullyRandomMasqueradeIsOnUnlessDisabledByFlagOrEnvironment() {
    assertTrue(parse(Map.of()).agentOptions().masqFullyRandom());
    assertFalse(parse(Map.of(), "--ip-masq-fully-random-disable").agentOptions().masqFullyRandom());
    assertFalse(parse(Map.of(), "-ip-masq-fully-random-disable=true").agentOptions().masqFullyRandom());
    assertTrue(parse(Map.of(), "--ip-masq-fully-random-disable=false").agentOptions().masqFullyRandom());
    assertFalse(parse(Map.of("FLANNELD_IP_MASQ_FULLY_RANDOM_DISABLE", "true")).agentOptions().masqFullyRandom());
  }

  @Test
  void publicIpv6FromTheFlagOrTheEnvironment() {
    assertEquals(Optional.of(Ip6.parse("2001:db8::11")),
        parse(Map.of(), "--public-ipv6=2001:db8::11").agentOptions().publicIpv6());
    assertEquals(Optional.of(Ip6.parse("2001:db8::12")),
        parse(Map.of("FLANNELD_PUBLIC_IPV6", "2001:db8::12")).agentOptions().publicIpv6());
    assertEquals(Optional.of(Ip6.parse("2001:db8:2::1")),
        parse(Map.of(), "--iface-can-reach=2001:db8:2::1").agentOptions().interfaceCanReach());
    assertEquals(List.of("overlay-agent: --public-ipv6 must be an IPv6 address: 192.0.2.11"),
        runErr(1, "--public-ipv6=192.0.2.11"));
  }

  @Test
  void etcdTransportFlagAndEnvironment() {
    assertEquals(EtcdOptions.Transport.GRPC, parse(Map.of(), "--etcd-transport=grpc").etcdOptions().transport());
    assertEquals(EtcdOptions.Transport.GRPC,
        parse(Map.of("FLANNELD_ETCD_TRANSPORT", "GRPC")).etcdOptions().transport());
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
        () -> parse(Map.of(), "--etcd-transport=v2"));
    assertTrue(e.getMessage().contains("use http or grpc"), e.getMessage());
  }

  @Test
  void aSeedsSystemdUnitLineParses() {
    // ExecStart of seed 004, with klog flags flanneld accepted.
    OverlayAgent a = parse(Map.of(), "-etcd-endpoints=http://172.32.100.71:2379", "-etcd-prefix=/sky-mobi.com/network",
        "-subnet-file=/run/flannel/subnet.env", "-log_dir=/var/log", "-logtostderr");
    assertEquals("/sky-mobi.com/network", a.etcdOptions().keyPrefix());
    assertEquals(Optional.of(Path.of("/run/flannel/subnet.env")), a.agentOptions().subnetFile());
  }

  @Test
  void environmentFillsFlagsNotGivenAndTheCommandLineWins() {
    Map<String, String> env = Map.of("FLANNELD_ETCD_ENDPOINTS", "http://192.0.2.10:2379", "FLANNELD_IFACE", "eth9",
        "FLANNELD_IP_MASQ", "true", "FLANNELD_ETCD_PREFIX", "/from/env", "FLANNELD_SUBNET_LEASE_RENEW_MARGIN", "10");
    OverlayAgent a = parse(env, "--etcd-prefix=/from/flag");
    assertEquals(List.of(URI.create("http://192.0.2.10:2379")), a.etcdOptions().endpoints());
    assertEquals("/from/flag", a.etcdOptions().keyPrefix());
    assertEquals(List.of("eth9"), a.agentOptions().interfaces());
    assertTrue(a.agentOptions().ipMasq());
    assertEquals(Duration.ofMinutes(10), a.agentOptions().renewMargin());
  }

  @Test
  void badInputIsOneClearLineAndANonZeroStatus() {
    assertEquals(List.of("overlay-agent: Unknown option: '--no-such-flag' (see --help)"),
        runErr(2, "--no-such-flag"));
    assertEquals(List.of("overlay-agent: Invalid subnet-lease-renew-margin option, out of acceptable range (1..1439): 0"),
        runErr(1, "--subnet-lease-renew-margin=0"));
    assertEquals(List.of("overlay-agent: Invalid --public-ip 10.0.0.300: not an IP address"),
        runErr(1, "--public-ip=10.0.0.300"));
    assertEquals(List.of("overlay-agent: --kube-subnet-mgr is not supported: overlaynet's agent runs in etcd mode"),
        runErr(1, "--kube-subnet-mgr"));
  }

  @Test
  void anInvalidVerbosityIsAClearError() {
    assertEquals(List.of("overlay-agent: Invalid value for option '--v': 'x' is not a whole number (log verbosity:"
        + " 0 = info, 1..3 = debug, 4 or more = trace) (see --help)"), runErr(2, "-v=x"));
    assertEquals(List.of("overlay-agent: Missing required parameter for option '--v' (<verbosity>) (see --help)"),
        runErr(2, "-v"));
  }

  @Test
  void versionPrintsAndExitsZero() {
    StringWriter out = new StringWriter();
    CommandLine cl = OverlayAgent.commandLine(Map.of());
    cl.setOut(new PrintWriter(out));
    assertEquals(0, cl.execute("--version"));
    assertEquals(OverlayAgent.VERSION, out.toString().trim());
  }

  @Test
  void versionIsTheBuildsVersion() {
    assertEquals("overlaynet " + System.getProperty("overlaynet.version") + " (flannel v0.20-compatible)",
        OverlayAgent.VERSION);
  }

  static List<String> runErr(int expectedStatus, String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = OverlayAgent.commandLine(Map.of());
    cl.setErr(new PrintWriter(err, true));
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    int rc;
    try {
      rc = cl.execute(args);
    } finally {
      System.setErr(saved);
    }
    assertEquals(expectedStatus, rc);
    String text = err + captured.toString();
    return text.lines().filter(l -> !l.isBlank() && !LOG_LINE.matcher(l).lookingAt()).toList();
  }
}
