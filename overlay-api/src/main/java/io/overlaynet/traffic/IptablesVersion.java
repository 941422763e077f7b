package io.overlaynet.traffic;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version of an installed iptables, as printed by {@code iptables --version}
 * ({@code iptables v1.8.9 (nf_tables)}). Internal; not part of the API.
 */
record IptablesVersion(int major, int minor, int patch) implements Comparable<IptablesVersion> {

  /** Both {@code --wait} for iptables-restore and {@code --random-fully} arrived in 1.6.2 (go-iptables' checks). */
  static final IptablesVersion WAIT_AND_RANDOM_FULLY = new IptablesVersion(1, 6, 2);

  private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");

  /**
   * Finds {@code vX.Y.Z} in {@code text}.
   *
   * @throws IllegalArgumentException if there is none
   */
  static IptablesVersion parse(String text) {
    Matcher m = VERSION.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("no iptables version found in: " + text.strip());
    }
    return new IptablesVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)));
  }

  boolean atLeast(IptablesVersion other) {
    return compareTo(other) >= 0;
  }

  @Override
  public int compareTo(IptablesVersion o) {
    int c = Integer.compare(major, o.major);
    if (c == 0) {
      c = Integer.compare(minor, o.minor);
    }
    return c != 0 ? c : Integer.compare(patch, o.patch);
  }

  @Override
  public String toString() {
    return major + "." + minor + "." + patch;
  }
}
