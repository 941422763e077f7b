package io.overlaynet.traffic;

import io.overlaynet.traffic.NftablesRules.Family;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code nft} commands the nftables manager needs: apply a script atomically, check one,
 * list a table as JSON. Internal; not part of the API.
 */
final class NftTool {

  /** What to tell someone whose machine has no {@code nft}. */
  static final String INSTALL_HINT = "install the nftables package (Debian/Ubuntu: apt-get install nftables)";

  private final CommandRunner runner;
  private final Optional<String> nft;
  private final String searched;

  NftTool(TrafficOptions options, CommandRunner runner) {
    this.runner = runner;
    this.nft = CommandRunner.locate("nft", options.nftDirectory());
    this.searched = options.nftDirectory().map(Object::toString).orElse("PATH, /usr/sbin and /sbin");
  }

  /** Returns whether {@code nft} was found. */
  boolean installed() {
    return nft.isPresent();
  }

  /**
   * Returns the {@code nft} binary.
   *
   * @throws TrafficException if it is not installed, saying what to install
   */
  private String binary() throws TrafficException {
    if (nft.isEmpty()) {
      throw new TrafficException("nftables mode (\"EnableNFTables\": true) needs the nft command, which is not in "
          + searched + ": " + INSTALL_HINT, null);
    }
    return nft.get();
  }

  /** Runs {@code script} with {@code nft -f -}: one transaction, applied whole or not at all. */
  void apply(String script) throws TrafficException {
    runner.runChecked(List.of(binary(), "-f", "-"), Optional.of(script), 0);
  }

  /** Returns whether {@code nft --check -f -} accepts {@code script} (nothing is applied). */
  boolean check(String script) throws TrafficException {
    return runner.run(List.of(binary(), "--check", "-f", "-"), Optional.of(script)).exitCode() == 0;
  }

  /**
   * Returns the table of {@code family} as {@code nft -j list table} shows it, or empty if there is
   * no such table.
   *
   * @throws TrafficException if nft fails otherwise or prints what is not its JSON
   */
  Optional<NftTable> list(Family family) throws TrafficException {
    CommandRunner.Result r = runner.run(List.of(binary(), "-j", "list", "table", family.nftFamily(), family.table()),
        Optional.empty());
    if (r.exitCode() != 0) {
      // nft says ENOENT's text for a table that does not exist; anything else is a real failure.
      if (r.stderr().contains("No such file or directory")) {
        return Optional.empty();
      }
      throw new TrafficException("`" + String.join(" ", r.command()) + "` failed with exit code " + r.exitCode()
          + (r.stderr().isEmpty() ? "" : ": " + r.stderr()), null, r.command(), OptionalInt.of(r.exitCode()),
          r.stderr(), false);
    }
    try {
      return Optional.of(NftTable.parse(r.stdout()));
    } catch (IllegalArgumentException e) {
      throw new TrafficException("cannot read `" + String.join(" ", r.command()) + "`: " + e.getMessage(), e,
          r.command(), OptionalInt.of(r.exitCode()), r.stderr(), false);
    }
  }
}
