package io.overlaynet.agent;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.IpAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * {@link HostNetwork} from the JDK and {@code /proc}, used when {@code overlay-netlink} is absent.
 * Only IPv4 routes of the main table are consulted.
 */
final class JdkHostNetwork implements HostNetwork {

  // thread-self, not self: network namespaces are per thread, and /proc/self/net shows the
  // namespace of the process's main thread.
  private static final Path ROUTES = Path.of("/proc/thread-self/net/route");

  @Override
  public List<HostInterface> interfaces() {
    List<HostInterface> out = new ArrayList<>();
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        List<IpAddress> addrs = ni.inetAddresses().map(IpAddress::of).toList();
        // The JDK reports no address flags: every address counts as permanent.
        out.add(HostInterface.of(ni.getName(), ni.getIndex(), ni.getMTU(), ni.isUp(), addrs));
      }
    } catch (SocketException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public Optional<Integer> defaultRouteInterface() {
    return routeInterfaceTo(Ip4.ANY);
  }

  @Override
  public Optional<Integer> routeInterfaceTo(IpAddress destination) {
    if (!(destination instanceof Ip4 dst)) {
      return Optional.empty();
    }
    String bestIface = null;
    int bestLen = -1;
    try {
      List<String> lines = Files.readAllLines(ROUTES);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 8) {
          continue;
        }
        // /proc/net/route prints addresses as little-endian hex.
        int net = Integer.reverseBytes((int) Long.parseLong(f[1], 16));
        int mask = Integer.reverseBytes((int) Long.parseLong(f[7], 16));
        int len = Integer.bitCount(mask);
        if ((dst.toInt() & mask) == net && len > bestLen) {
          bestLen = len;
          bestIface = f[0];
        }
      }
      if (bestIface == null) {
        return Optional.empty();
      }
      NetworkInterface ni = NetworkInterface.getByName(bestIface);
      return ni == null ? Optional.empty() : Optional.of(ni.getIndex());
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
