package io.overlaynet.examples;

import io.overlaynet.Lease;
import io.overlaynet.agent.Agent;
import io.overlaynet.agent.AgentException;
import io.overlaynet.agent.AgentListener;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.agent.AgentState;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.etcd.EtcdStore;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip6;
import io.overlaynet.ip.IpAddress;
import io.overlaynet.netlink.SdNotify;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * The example agent: a drop-in for {@code flanneld} in etcd mode. It takes flanneld's flags with
 * flanneld's defaults (also in Go's single-dash form, {@code -etcd-endpoints=...}), each also as a
 * {@code FLANNELD_*} environment variable (the command line wins).
 *
 * <pre>
 * java -jar overlay-agent.jar --etcd-endpoints=http://127.0.0.1:2379 --iface=eth0 --ip-masq
 * java -jar overlay-agent.jar docker-opts -k DOCKER_NETWORK_OPTIONS -d /run/flannel/docker
 * java -jar overlay-agent.jar status --healthz-port 8471
 * java -jar overlay-agent.jar demo --backend vxlan --hosts 3
 * </pre>
 *
 * <p>SIGTERM and SIGINT stop it cleanly with exit status 0 (flanneld v0.20.2 panics there); routes,
 * devices, rules and the lease stay, so traffic keeps flowing while it restarts.
 */
@Command(name = "overlay-agent", mixinStandardHelpOptions = false, sortOptions = false,
    description = "flannel-compatible overlay network agent (etcd v3 mode).",
    subcommands = {DockerOptsCommand.class, StatusCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class OverlayAgent implements Callable<Integer> {

  /** The version printed by {@code --version}: overlaynet's version, as the build set it. */
  public static final String VERSION = "overlaynet " + buildVersion() + " (flannel v0.20-compatible)";

  private static final Logger log = LoggerFactory.getLogger(OverlayAgent.class);

  @Option(names = {"--etcd-endpoints", "-etcd-endpoints"}, split = ",",
      defaultValue = "http://127.0.0.1:4001,http://127.0.0.1:2379",
      description = "a comma-delimited list of etcd endpoints (default: ${DEFAULT-VALUE})")
  List<String> etcdEndpoints = new ArrayList<>();

  @Option(names = {"--etcd-prefix", "-etcd-prefix"}, defaultValue = "/coreos.com/network",
      description = "etcd prefix (default: ${DEFAULT-VALUE})")
  String etcdPrefix;

  @Option(names = {"--etcd-keyfile", "-etcd-keyfile"}, description = "SSL key file used to secure etcd communication")
  Path etcdKeyFile;

  @Option(names = {"--etcd-certfile", "-etcd-certfile"}, description = "SSL certification file used to secure etcd communication")
  Path etcdCertFile;

  @Option(names = {"--etcd-cafile", "-etcd-cafile"}, description = "SSL Certificate Authority file used to secure etcd communication")
  Path etcdCaFile;

  @Option(names = {"--etcd-username", "-etcd-username"}, description = "username for BasicAuth to etcd")
  String etcdUsername;

  @Option(names = {"--etcd-password", "-etcd-password"}, description = "password for BasicAuth to etcd")
  String etcdPassword;

  @Option(names = {"--etcd-transport", "-etcd-transport"}, defaultValue = "http",
      converter = TransportConverter.class,
      description = "how to talk to etcd (not a flanneld flag): http = etcd's v3 JSON gateway (etcd 3.4+, "
          + "the default: quicker start, less memory), grpc = gRPC, for an etcd started with "
          + "--enable-grpc-gateway=false (default: ${DEFAULT-VALUE})")
  EtcdOptions.Transport etcdTransport = EtcdOptions.Transport.HTTP;

  @Option(names = {"--iface", "-iface"}, description = "interface to use (IP or name) for inter-host communication; "
      + "can be given several times, tried in order")
  List<String> iface = new ArrayList<>();

  @Option(names = {"--iface-regex", "-iface-regex"}, description = "regex matching the first interface to use "
      + "(IP or name); can be given several times, tried in order after --iface")
  List<String> ifaceRegex = new ArrayList<>();

  @Option(names = {"--iface-can-reach", "-iface-can-reach"},
      description = "detect the interface to use by the route to this address")
  String ifaceCanReach;

  @Option(names = {"--public-ip", "-public-ip"}, description = "IP accessible by other nodes for inter-host communication")
  String publicIp;

  @Option(names = {"--public-ipv6", "-public-ipv6"},
      description = "IPv6 accessible by other nodes for inter-host communication")
  String publicIpv6;

  @Option(names = {"--subnet-file", "-subnet-file"}, defaultValue = "/run/flannel/subnet.env",
      description = "filename where env variables (subnet, MTU, ...) will be written to (default: ${DEFAULT-VALUE})")
  Path subnetFile;

  @Option(names = {"--subnet-lease-renew-margin", "-subnet-lease-renew-margin"}, defaultValue = "60",
      description = "subnet lease renewal margin, in minutes, ranging from 1 to 1439 (default: ${DEFAULT-VALUE})")
  int renewMarginMinutes;

  @Option(names = {"--ip-masq", "-ip-masq"}, arity = "0..1", fallbackValue = "true", defaultValue = "false",
      description = "setup IP masquerade rule for traffic destined outside of overlay network")
  boolean ipMasq;

  @Option(names = {"--ip-masq-fully-random-disable", "-ip-masq-fully-random-disable"}, arity = "0..1",
      fallbackValue = "true", defaultValue = "false",
      description = "disable the fully random source ports (--random-fully) of the IP masquerade rules")
  boolean masqFullyRandomDisable;

  @Option(names = {"--iptables-resync", "-iptables-resync"}, defaultValue = "5",
      description = "resync period for iptables rules, in seconds (default: ${DEFAULT-VALUE})")
  int iptablesResync;

  @Option(names = {"--iptables-forward-rules", "-iptables-forward-rules"}, arity = "0..1", fallbackValue = "true",
      defaultValue = "true", description = "add default accept rules to FORWARD chain in iptables (default: true)")
  boolean forwardRules;

  @Option(names = {"--healthz-ip", "-healthz-ip"}, defaultValue = "0.0.0.0",
      description = "the IP address for healthz server to listen (default: ${DEFAULT-VALUE})")
  String healthzIp;

  @Option(names = {"--healthz-port", "-healthz-port"}, defaultValue = "0",
      description = "the port for healthz server to listen (0 to disable)")
  int healthzPort;

  @Option(names = {"--version", "-version"}, versionHelp = true, description = "print version and exit")
  boolean version;

  @Option(names = {"--help", "-h", "-help"}, usageHelp = true, description = "show this help and exit")
  boolean help;

  // Read by AgentMain before anything logs (Verbosity); parsed here too, so that a bad value is an error.
  @Option(names = {"-v", "--v"}, converter = Verbosity.Converter.class, defaultValue = "0",
      description = "log verbosity, as klog's: 0 = info, 1..3 = debug, 4 or more = trace (default: ${DEFAULT-VALUE})")
  int verbosity;

  // klog flags that existing flanneld units pass (e.g. -log_dir=/var/log -logtostderr): accepted
  // so that a unit works after changing only the binary path; logs always go to stderr.
  @Option(names = {"-logtostderr", "--logtostderr", "-alsologtostderr", "--alsologtostderr"}, hidden = true,
      arity = "0..1", fallbackValue = "true")
  List<Boolean> klogSwitches = new ArrayList<>();

  @Option(names = {"-log_dir", "--log_dir", "-log_file", "--log_file", "-vmodule", "--vmodule",
      "-log_backtrace_at", "--log_backtrace_at", "-stderrthreshold", "--stderrthreshold"}, hidden = true)
  List<String> klogValues = new ArrayList<>();

  @Option(names = {"--kube-subnet-mgr", "-kube-subnet-mgr"}, hidden = true, arity = "0..1", fallbackValue = "true",
      defaultValue = "false")
  boolean kubeSubnetManager;

  /**
   * Runs the command line with the process environment; returns the exit status. The jar's entry
   * point is {@link AgentMain}, which sets the log level from {@code -v} first.
   */
  public static int run(String... args) {
    return commandLine(System.getenv()).execute(args);
  }

  /** The project version, from {@code version.properties}, which the build fills in. */
  private static String buildVersion() {
    Properties p = new Properties();
    try (InputStream in = OverlayAgent.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("io/overlaynet/examples/version.properties is missing from the agent's jar");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  /** Returns the command line reading {@code FLANNELD_*} variables from {@code env}. */
  static CommandLine commandLine(Map<String, String> env) {
    CommandLine cl = new CommandLine(new OverlayAgent());
    cl.setDefaultValueProvider(arg -> envDefault(arg, env));
    // Bad flags: one clear line and a non-zero status, like Go's flag package.
    cl.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println(ex.getCommandLine().getCommandName() + ": " + ex.getMessage() + " (see --help)");
      return 2;
    });
    cl.getCommandSpec().version(VERSION);
    return cl;
  }

  /**
   * flanneld reads {@code FLANNELD_<FLAG>} for every flag not given on the command line
   * ({@code flagutil.SetFlagsFromEnv}); picocli consults this only for absent options.
   */
  static String envDefault(ArgSpec arg, Map<String, String> env) {
    // Only the agent's own flags: the demo and docker-opts subcommands do not read FLANNELD_*.
    if (arg instanceof OptionSpec opt && arg.command().parent() == null && opt.longestName().startsWith("--")
        && !opt.usageHelp() && !opt.versionHelp()) {
      String name = "FLANNELD_" + opt.longestName().substring(2).toUpperCase(Locale.ROOT).replace('-', '_')
          .replace('.', '_');
      String value = env.get(name);
      if (value != null) {
        return value;
      }
    }
    return arg.defaultValue();
  }

  /** Validates the flags and builds the agent options; exits with one line on bad input. */
  AgentOptions agentOptions() {
    if (kubeSubnetManager) {
      throw new AgentException("--kube-subnet-mgr is not supported: overlaynet's agent runs in etcd mode");
    }
    if (renewMarginMinutes < 1 || renewMarginMinutes > 1439) {
      throw new AgentException("Invalid subnet-lease-renew-margin option, out of acceptable range (1..1439): "
          + renewMarginMinutes);
    }
    if (iptablesResync <= 0) {
      throw new AgentException("Invalid iptables-resync option, must be positive: " + iptablesResync);
    }
    List<Pattern> regexes = new ArrayList<>();
    for (String r : ifaceRegex) {
      try {
        regexes.add(Pattern.compile(r));
      } catch (PatternSyntaxException e) {
        throw new AgentException("Invalid --iface-regex " + r + ": " + e.getDescription());
      }
    }
    Optional<IpAddress> canReach = Optional.empty();
    if (ifaceCanReach != null && !ifaceCanReach.isEmpty()) {
      canReach = Optional.of(parseIp("--iface-can-reach", ifaceCanReach));
    }
    Optional<Ip4> pub = Optional.empty();
    if (publicIp != null && !publicIp.isEmpty()) {
      if (!(parseIp("--public-ip", publicIp) instanceof Ip4 ip4)) {
        throw new AgentException("--public-ip must be an IPv4 address: " + publicIp);
      }
      pub = Optional.of(ip4);
    }
    Optional<Ip6> pub6 = Optional.empty();
    if (publicIpv6 != null && !publicIpv6.isEmpty()) {
      if (!(parseIp("--public-ipv6", publicIpv6) instanceof Ip6 ip6)) {
        throw new AgentException("--public-ipv6 must be an IPv6 address: " + publicIpv6);
      }
      pub6 = Optional.of(ip6);
    }
    AgentOptions.Builder b = AgentOptions.builder().withInterfaces(iface).withInterfaceRegexes(regexes);
    canReach.ifPresent(b::withInterfaceCanReach);
    pub.ifPresent(b::withPublicIp);
    pub6.ifPresent(b::withPublicIpv6);
    return b.withSubnetFile(subnetFile).withIpMasq(ipMasq).withForwardRules(forwardRules)
        .withMasqFullyRandom(!masqFullyRandomDisable)
        .withResyncPeriod(Duration.ofSeconds(iptablesResync)).withRenewMargin(Duration.ofMinutes(renewMarginMinutes))
        .build();
  }

  private static IpAddress parseIp(String flag, String value) {
    try {
      return IpAddress.parse(value);
    } catch (IllegalArgumentException e) {
      throw new AgentException("Invalid " + flag + " " + value + ": not an IP address");
    }
  }

  EtcdOptions etcdOptions() {
    EtcdOptions.Builder b = EtcdOptions.builder().withEndpoints(etcdEndpoints).withKeyPrefix(etcdPrefix)
        .withTransport(etcdTransport);
    // As flanneld: TLS only when both key and certificate are given; the CA alone is ignored.
    if (etcdKeyFile != null && etcdCertFile != null) {
      b.withTls(etcdCaFile, etcdCertFile, etcdKeyFile);
    } else {
      log.warn("no certificate provided: connecting to etcd with http. This is insecure");
    }
    if (etcdUsername != null || etcdPassword != null) {
      b.withCredentials(etcdUsername == null ? "" : etcdUsername, etcdPassword == null ? "" : etcdPassword);
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new AgentException("Invalid etcd options: " + e.getMessage());
    }
  }

  @Override
  public Integer call() {
    AgentOptions options;
    EtcdOptions etcd;
    try {
      options = agentOptions();
      etcd = etcdOptions();
    } catch (AgentException e) {
      System.err.println("overlay-agent: " + e.getMessage());
      return 1;
    }
    log.info("Starting {} with etcd {} prefix {}", VERSION, etcd.endpoints(), etcd.keyPrefix());
    if (etcd.transport() == EtcdOptions.Transport.GRPC) {
      JulToSlf4j.install(); // gRPC logs through java.util.logging
    }
    CountDownLatch stop = new CountDownLatch(1);
    AtomicReference<String> signal = new AtomicReference<>();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), s -> {
        signal.set("SIG" + name);
        stop.countDown();
      });
    }
    HealthServer health = null;
    SystemdWatchdog watchdog = null;
    SdNotify.status("Connecting to etcd " + String.join(",", etcd.endpoints().stream().map(Object::toString).toList()));
    try (EtcdStore store = EtcdStore.connect(etcd)) {
      if (healthzPort > 0) {
        health = HealthServer.start(new InetSocketAddress(healthzIp, healthzPort));
      }
      AtomicReference<Supplier<Optional<Lease>>> agentLease = new AtomicReference<>(Optional::empty);
      Agent agent = Agent.builder().store(store, etcd.keyPrefix()).options(options)
          .listener(new AgentListener() {
            @Override
            public void onReady(Lease lease) {
              // STATUS= first: once READY=1 ends systemctl start, the status already says so.
              status(SystemdStatus.text(AgentState.Phase.READY, Optional.empty(), Optional.of(lease)));
              SdNotify.ready();
            }

            /** The last STATUS= sent; listener calls come one at a time. */
            private String sent = "";

            @Override
            public void onStateChanged(AgentState state) {
              // Each step of the start, and every degradation and recovery, shows in systemctl status.
              status(SystemdStatus.text(state.phase(), state.reason(), agentLease.get().get()));
            }

            private void status(String text) {
              if (!text.equals(sent)) {
                sent = text;
                SdNotify.status(text);
              }
            }
          }).build();
      agentLease.set(agent::lease);
      if (health != null) {
        health.attach(agent);
      }
      // Pings while the agent has not stopped; a JVM too stuck to run the pinger misses them too.
      watchdog = SystemdWatchdog.fromEnvironment(() -> !agent.stopped().isDone());
      Thread waiter = new Thread(() -> {
        try {
          stop.await();
        } catch (InterruptedException e) {
          return;
        }
        log.info("{} received, shutting down", signal.get());
        agent.close();
      }, "overlaynet-signal");
      waiter.setDaemon(true);
      waiter.start();
      agent.stopped().whenComplete((v, e) -> stop.countDown());
      try {
        agent.start();
      } catch (AgentException e) {
        if (signal.get() != null) {
          return 0; // stopped by a signal while starting: a clean exit
        }
        System.err.println("overlay-agent: " + e.getMessage());
        agent.close();
        return 1;
      }
      try {
        agent.stopped().join();
      } catch (RuntimeException e) {
        // The agent stopped by itself, e.g. its lease was deleted: exit non-zero so that a
        // Restart=on-failure unit brings it back with a fresh lease (flanneld exits 0 here).
        System.err.println("overlay-agent: " + rootMessage(e));
        return 1;
      }
      return 0;
    } finally {
      if (watchdog != null) {
        watchdog.close();
      }
      if (health != null) {
        health.close();
      }
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  /** Reads {@code --etcd-transport}: {@code http} or {@code grpc}, in any case. */
  static final class TransportConverter implements CommandLine.ITypeConverter<EtcdOptions.Transport> {
    @Override
    public EtcdOptions.Transport convert(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "http" -> EtcdOptions.Transport.HTTP;
        case "grpc" -> EtcdOptions.Transport.GRPC;
        default -> throw new CommandLine.TypeConversionException(
            "invalid --etcd-transport " + value + ": use http or grpc");
      };
    }
  }
}
