package io.overlaynet.traffic;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nftables manager where {@code nft} is missing: no root, no firewall touched. */
class NftablesTrafficManagerTest {

  @TempDir
  Path empty;

  private TrafficOptions withoutNft() {
    return TrafficOptions.DEFAULT.withNftDirectory(empty).withResyncPeriod(Duration.ofHours(1));
  }

  @Test
  void aMissingNftIsAClearErrorSayingWhatToInstall() {
    try (TrafficManager tm = TrafficManager.nftables(withoutNft())) {
      TrafficException e = assertThrows(TrafficException.class,
          () -> tm.setupMasqRules(MasqSpec.ipv4(IptablesRulesTest.NETWORK, IptablesRulesTest.LEASE)));
      assertTrue(e.getMessage().contains("needs the nft command") && e.getMessage().contains("apt-get install nftables"),
          e.getMessage());
      assertThrows(TrafficException.class, () -> tm.setupForwardRules(ForwardSpec.ipv4(IptablesRulesTest.NETWORK)));
    }
  }

  @Test
  void withoutNftThereIsNothingToRemove() {
    try (TrafficManager tm = TrafficManager.nftables(withoutNft())) {
      tm.removeRules();  // iptables mode on a host without nftables: no error
    }
  }

  @Test
  void createPicksTheImplementationOfTheMode() {
    try (TrafficManager n = TrafficManager.create(TrafficMode.NFTABLES, withoutNft(), TrafficListener.NONE);
        TrafficManager i = TrafficManager.create(TrafficMode.IPTABLES, withoutNft(), TrafficListener.NONE)) {
      assertTrue(n instanceof NftablesTrafficManager);
      assertTrue(i instanceof IptablesTrafficManager);
    }
    assertTrue(TrafficMode.NFTABLES.other() == TrafficMode.IPTABLES && TrafficMode.IPTABLES.other() == TrafficMode.NFTABLES);
  }
}
