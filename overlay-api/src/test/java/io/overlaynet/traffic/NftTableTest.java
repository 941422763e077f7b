package io.overlaynet.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reading {@code nft -j list table} output, as nft 1.0.6 prints it, and comparing tables. */
class NftTableTest {

  private static final String LISTING = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", "
      + "\"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
      + "{\"table\": {\"family\": \"ip\", \"name\": \"flannel-ipv4\", \"handle\": %d}}, "
      + "{\"chain\": {\"family\": \"ip\", \"table\": \"flannel-ipv4\", \"name\": \"forward\", \"handle\": %d, "
      + "\"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"accept\"}}, "
      + "{\"rule\": {\"family\": \"ip\", \"table\": \"flannel-ipv4\", \"chain\": \"forward\", \"handle\": %d, "
      + "\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"%s\"}}, "
      + "\"right\": {\"prefix\": {\"addr\": \"10.5.0.0\", \"len\": 16}}}}, {\"accept\": null}]}}, "
      + "{\"rule\": {\"family\": \"ip\", \"table\": \"flannel-ipv4\", \"chain\": \"forward\", \"handle\": %d, "
      + "\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"%s\"}}, "
      + "\"right\": {\"prefix\": {\"addr\": \"10.5.0.0\", \"len\": 16}}}}, {\"accept\": null}]}}%s]}";

  private static String listing(int handle, String first, String second, String extra) {
    return String.format(LISTING, handle, handle + 1, handle + 2, first, handle + 3, second, extra);
  }

  @Test
  void handlesDoNotCount() {
    assertEquals(NftTable.parse(listing(1, "saddr", "daddr", "")), NftTable.parse(listing(40, "saddr", "daddr", "")));
  }

  @Test
  void ruleOrderCounts() {
    NftTable t = NftTable.parse(listing(1, "saddr", "daddr", ""));
    NftTable swapped = NftTable.parse(listing(1, "daddr", "saddr", ""));
    assertNotEquals(t, swapped);
    assertEquals(4, t.differences(swapped));
  }

  @Test
  void otherObjectsAndChainsCount() {
    NftTable t = NftTable.parse(listing(1, "saddr", "daddr", ""));
    NftTable withSet = NftTable.parse(listing(1, "saddr", "daddr",
        ", {\"set\": {\"family\": \"ip\", \"name\": \"s\", \"table\": \"flannel-ipv4\", \"type\": \"ipv4_addr\", "
            + "\"handle\": 9}}"));
    assertNotEquals(t, withSet);
    assertEquals(1, t.differences(withSet));
    assertEquals(t, withSet.only(Set.of("forward")));
  }

  @Test
  void aChainWithoutRulesEqualsItsParts() {
    String empty = "{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\", \"handle\": 1}}, "
        + "{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"c\", \"handle\": 2}}]}";
    NftTable t = NftTable.parse(empty);
    assertEquals(List.of(), t.rules().get("c"));
    assertEquals(t, t.only(Set.of("c")));
    assertEquals(0, t.only(Set.of()).chains().size());
  }

  @Test
  void rejectsWhatIsNotNftsJson() {
    assertThrows(IllegalArgumentException.class, () -> NftTable.parse("Error: No such file or directory"));
    assertThrows(IllegalArgumentException.class, () -> NftTable.parse("{\"nftables\": []}"));
    assertThrows(IllegalArgumentException.class, () -> NftTable.parse("{\"other\": 1}"));
  }
}
