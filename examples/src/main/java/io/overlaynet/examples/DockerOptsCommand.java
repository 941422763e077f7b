package io.overlaynet.examples;

import io.overlaynet.SubnetFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code overlay-agent docker-opts}: flannel's {@code mk-docker-opts.sh}, with its flags. */
@Command(name = "docker-opts", description = "Generate Docker daemon options from the flannel env file "
    + "(what mk-docker-opts.sh does).", mixinStandardHelpOptions = true)
final class DockerOptsCommand implements Callable<Integer> {

  @Option(names = "-f", paramLabel = "FLANNEL-ENV-FILE", defaultValue = "/run/flannel/subnet.env",
      description = "Path to flannel env file (default: ${DEFAULT-VALUE}).")
  Path flannelEnv;

  @Option(names = "-d", paramLabel = "DOCKER-ENV-FILE", defaultValue = "/run/docker_opts.env",
      description = "Path to Docker env file to write to (default: ${DEFAULT-VALUE}).")
  Path dockerEnv;

  @Option(names = "-i", description = "Output each Docker option as individual var, e.g. DOCKER_OPT_MTU=1500.")
  boolean individual;

  @Option(names = "-c", description = "Output combined Docker options into the DOCKER_OPTS var.")
  boolean combined;

  @Option(names = "-k", paramLabel = "COMBINED-KEY", defaultValue = "DOCKER_OPTS",
      description = "Set the combined options key (default: ${DEFAULT-VALUE}).")
  String combinedKey;

  @Option(names = "-m", description = "Do not output --ip-masq (useful for older Docker versions).")
  boolean noIpMasq;

  @Option(names = "--ipv6", description = "Also output Docker's IPv6 options (--ipv6, --fixed-cidr-v6) from"
      + " FLANNEL_IPV6_SUBNET; flannel's script has no such option.")
  boolean ipv6;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Map<String, String> env = new HashMap<>();
    if (Files.isRegularFile(flannelEnv)) {
      env.putAll(SubnetFile.parseVariables(Files.readString(flannelEnv, StandardCharsets.UTF_8)));
    }
    String text;
    try {
      text = DockerOpts.render(env, individual, combined, combinedKey, System.getenv(combinedKey), !noIpMasq, ipv6);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println(e.getMessage());
      spec.commandLine().getErr().flush();
      return 1;
    }
    Files.writeString(dockerEnv, text, StandardCharsets.UTF_8);
    return 0;
  }
}
