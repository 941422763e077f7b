package io.overlaynet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4Net;
import io.overlaynet.ip.Ip6Net;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetFileTest {

  @TempDir
  Path dir;

  @Test
  void rendersFlannelsFormatAndOrder() {
    SubnetEnv env = SubnetEnv.ipv4(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.96.0/24"), 1450, true);
    assertEquals("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.96.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
        SubnetFile.render(env));
  }

  @Test
  void rendersDualStackInFlannelsOrder() {
    SubnetEnv env = new SubnetEnv(Optional.of(Ip4Net.parse("10.5.0.0/16")), Optional.of(Ip4Net.parse("10.5.7.0/24")),
        Optional.of(Ip6Net.parse("fc00::/48")), Optional.of(Ip6Net.parse("fc00:0:0:7::/64")), 1472, false);
    assertEquals("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.7.1/24\nFLANNEL_IPV6_NETWORK=fc00::/48\n"
        + "FLANNEL_IPV6_SUBNET=fc00:0:0:7::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n", SubnetFile.render(env));
  }

  @Test
  void writesAtomicallyWithModesAndReadsBack() throws Exception {
    Path file = dir.resolve("run/flannel/subnet.env");
    SubnetEnv env = SubnetEnv.ipv4(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1472, false);
    SubnetFile.write(file, env);
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    try (var s = Files.list(file.getParent())) {
      assertEquals(1, s.count(), "no temporary file may be left behind");
    }
    assertEquals(Optional.of(env), SubnetFile.read(file));
  }

  @Test
  void readingToleratesShellSyntaxAndIgnoresBadValues() throws Exception {
    Path file = dir.resolve("subnet.env");
    Files.writeString(file, "# comment\nexport FLANNEL_NETWORK=\"10.5.0.0/16\"\nFLANNEL_SUBNET=10.5.1.1/24,10.5.2.1/24\n"
        + "FLANNEL_MTU=abc\nFLANNEL_IPMASQ=TRUE\n");
    SubnetEnv env = SubnetFile.read(file).orElseThrow();
    assertEquals(Optional.of(Ip4Net.parse("10.5.0.0/16")), env.network());
    assertEquals(Optional.empty(), env.subnet(), "several comma-separated values count as none, as flannel does");
    assertEquals(0, env.mtu());
    assertTrue(env.ipMasq());
    assertEquals(Optional.empty(), SubnetFile.read(dir.resolve("missing.env")));
  }
}
