package io.overlaynet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import io.overlaynet.store.InMemoryStore;
import io.overlaynet.store.Store;
import io.overlaynet.testing.ConcurrentAcquire;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Allocation invariants under random configs, random occupancy and concurrency. */
class AllocationProperties {

  private static final String PREFIX = "/coreos.com/network";

  @Property(tries = 200)
  void allocationStaysInRangeAndNeverOverlaps(
      @ForAll @IntRange(min = 16, max = 26) int networkPrefix,
      @ForAll @IntRange(min = 0, max = 6) int extraBits,
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 10_000) Integer> taken) {
    int subnetLen = Math.min(30, networkPrefix + 2 + extraBits);
    Ip4Net network = Ip4Net.parse("10.64.0.0/" + networkPrefix);
    try (InMemoryStore store = InMemoryStore.create();
         SubnetManager sm = SubnetManager.overStore(store, SubnetManagerOptions.DEFAULT)) {
      store.put(PREFIX + "/config", "{\"Network\":\"" + network + "\",\"SubnetLen\":" + subnetLen + "}", Store.NO_TTL);
      NetworkConfig config = sm.networkConfig();
      long count = (config.subnetMax().toUnsignedLong() - config.subnetMin().toUnsignedLong()) / (1L << (32 - subnetLen)) + 1;
      List<Ip4Net> existing = new ArrayList<>();
      for (int t : taken) {
        Ip4Net s = Ip4Net.of(config.subnetMin().plus((t % count) * (1L << (32 - subnetLen))), subnetLen);
        if (existing.add(s)) {
          store.put(PREFIX + "/subnets/" + LeaseCodec.subnetKey(s, java.util.Optional.empty()),
              LeaseCodec.toJson(LeaseAttrs.of(Ip4.parse("198.51.100.1"))), Store.NO_TTL);
        }
      }
      if (Set.copyOf(existing).size() == count) {
        return; // every subnet is taken: exhaustion is tested elsewhere
      }
      Ip4Net got = sm.acquireLease(LeaseAttrs.of(Ip4.parse("192.0.2.11"))).subnet();
      assertTrue(config.isCompatible(got), got + " is outside " + config);
      for (Ip4Net e : existing) {
        assertTrue(!e.overlaps(got), got + " overlaps existing lease " + e);
      }
    }
  }

  @Property(tries = 5)
  void sixtyFourConcurrentAcquirersGetDistinctSubnets(@ForAll @IntRange(min = 19, max = 21) int networkPrefix)
      throws Exception {
    int n = 64;
    try (InMemoryStore store = InMemoryStore.create()) {
      store.put(PREFIX + "/config", "{\"Network\":\"10.64.0.0/" + networkPrefix + "\",\"SubnetLen\":28}", Store.NO_TTL);
      List<SubnetManager> managers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        managers.add(SubnetManager.overStore(store, SubnetManagerOptions.DEFAULT));
      }
      ConcurrentAcquire.Result r = ConcurrentAcquire.run(managers, 60_000);
      managers.forEach(SubnetManager::close);
      assertEquals(List.of(), r.errors(), "no acquirer may fail while free subnets remain");
      assertEquals(n, Set.copyOf(r.subnets()).size(), "duplicate subnets: " + r.subnets());
    }
  }
}
