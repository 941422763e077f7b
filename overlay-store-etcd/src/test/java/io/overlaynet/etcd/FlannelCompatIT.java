package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.overlaynet.etcd.testing.EtcdExtension;
import io.overlaynet.etcd.testing.WatchRecorder;
import io.overlaynet.store.KeyValue;
import io.overlaynet.store.Listing;
import io.overlaynet.store.Store;
import io.overlaynet.store.StoreEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Interchangeability with flanneld on one etcd, checked with etcdctl as flanneld's side: the real
 * prefix {@code /coreos.com/network}, byte-identical values, one 24 h etcd lease per subnet key,
 * and foreign garbage under {@code /subnets} that must not break a listing or a watch.
 */
@SuppressWarnings("try") // try-with-resources for watches that are only closed
class FlannelCompatIT {

  @RegisterExtension static final EtcdExtension ETCD = new EtcdExtension();

  /** The transport under test; {@code FlannelCompatGrpcIT} runs the same tests over gRPC. */
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.HTTP;
  }

  /** Options that reach the test's etcd with {@link #transport()}. */
  EtcdOptions options() {
    return ETCD.options().withTransport(transport());
  }

  private static final String PREFIX = EtcdOptions.DEFAULT_KEY_PREFIX;
  private static final String SUBNETS = PREFIX + "/subnets/";
  private static final Duration DAY = Duration.ofHours(24);
  private static final Pattern LEASE_FIELD = Pattern.compile("\"lease\":(\\d+)");
  private static final Pattern TTL = Pattern.compile("granted with TTL\\((\\d+)s\\).*attached keys\\(\\[(.*)\\]\\)");

  private EtcdStore store;

  @BeforeEach
  void open() {
    store = EtcdStore.connect(options());
  }

  @AfterEach
  void cleanUp() {
    store.close();
    ETCD.server().etcdctl("del", "--prefix", "/coreos.com");
  }

  @Test
  void theConfigWrittenByEtcdctlAsFlannelDocumentsIsRead() {
    String config = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
    ETCD.server().etcdctl("put", PREFIX + "/config", config);
    assertEquals(config, store.get(PREFIX + "/config").orElseThrow().value());
  }

  @Test
  void aLeaseWrittenByTheStoreReadsBackByteIdenticalWithEtcdctlUnderItsOwn24hLease() {
    String key = SUBNETS + "10.5.96.0-24";
    String value = "{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"d2:65:d5:8b:00:6f\"}}";
    assertTrue(store.create(key, value, DAY).isPresent());
    byte[] printed = ETCD.server().etcdctlBytes(null, "get", "--print-value-only", key);
    assertArrayEquals((value + "\n").getBytes(UTF_8), printed, "etcdctl prints the value and a newline");

    long lease = leaseOf(key);
    assertNotEquals(0, lease, "a subnet key lives on its own etcd lease");
    Matcher m = TTL.matcher(ETCD.server().etcdctl("lease", "timetolive", Long.toHexString(lease), "--keys"));
    assertTrue(m.find());
    assertEquals("86400", m.group(1), "flannel's subnetTTL, 24 h");
    assertEquals(key, m.group(2), "the lease holds exactly this key");
  }

  @Test
  void renewalRePutsTheKeyUnderAFreshLeaseAndLeavesTheOldOneAsFlanneldDoes() {
    String key = SUBNETS + "10.5.60.0-24";
    String value = "{\"PublicIP\":\"192.0.2.12\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}";
    store.create(key, value, DAY);
    long first = leaseOf(key);
    store.put(key, value, DAY);
    long second = leaseOf(key);
    assertNotEquals(first, second);
    String leases = ETCD.server().etcdctl("lease", "list");
    assertTrue(leases.contains(Long.toHexString(first)) && leases.contains(Long.toHexString(second)), leases);
  }

  @Test
  void createOnAKeyFlanneldAlreadyHoldsReportsExistsAndLeavesNoLeaseBehind() {
    String key = SUBNETS + "10.5.7.0-24";
    String theirs = "{\"PublicIP\":\"192.0.2.13\",\"PublicIPv6\":null}";
    Matcher m = Pattern.compile("lease ([0-9a-f]+) granted").matcher(ETCD.server().etcdctl("lease", "grant", "86400"));
    assertTrue(m.find());
    ETCD.server().etcdctl("put", "--lease=" + m.group(1), key, theirs);
    int leasesBefore = countLeases();

    assertEquals(Optional.empty(), store.create(key, "{\"PublicIP\":\"192.0.2.99\",\"PublicIPv6\":null}", DAY));

    assertEquals(theirs, store.get(key).orElseThrow().value());
    assertEquals(leasesBefore, countLeases(), "the lease granted for the lost create was revoked");
    Listing listing = store.list(SUBNETS);
    assertEquals(List.of(new KeyValue(key, theirs, listing.entries().get(0).modRevision())), listing.entries());
  }

  @Test
  void garbageValuesAndOddKeysUnderSubnetsAreListedAndWatchedWithoutBreakingAnything() throws Exception {
    String good1 = SUBNETS + "10.5.1.0-24";
    String good2 = SUBNETS + "10.5.2.0-24";
    String lease1 = EtcdStoreWatchIT.lease("192.0.2.1");
    String lease2 = EtcdStoreWatchIT.lease("192.0.2.2");
    byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 0x00, (byte) 0xc3, 0x28, '{'};
    byte[] badKey = (SUBNETS + "bad-\u00ff").getBytes(UTF_8);
    badKey[badKey.length - 1] = (byte) 0xfe; // truncated UTF-8 sequence

    long rev = store.list(SUBNETS).revision();
    WatchRecorder rec = new WatchRecorder();
    try (Store.Watch w = store.watch(SUBNETS, rev + 1, rec);
        Client jetcd = Client.builder().endpoints(ETCD.endpoint()).build()) {
      store.put(good1, lease1, DAY);
      put(jetcd, (SUBNETS + "10.5.3.0-24").getBytes(UTF_8), notUtf8);
      ETCD.server().etcdctl("put", SUBNETS + "not-a-subnet", "{\"PublicIP\":");
      ETCD.server().etcdctl("put", SUBNETS + "10.5.4.0-24/extra", "{}");
      ETCD.server().etcdctl("put", SUBNETS, "empty suffix");
      put(jetcd, badKey, "x".getBytes(UTF_8));
      ETCD.server().etcdctl("put", SUBNETS + "10.5.5.0-24", "");
      store.put(good2, lease2, DAY);
      rec.awaitCount(8, Duration.ofSeconds(10));
    }

    Map<String, String> listed = store.list(SUBNETS).entries().stream()
        .collect(Collectors.toMap(KeyValue::key, KeyValue::value));
    assertEquals(8, listed.size(), "everything under the prefix is listed: " + listed.keySet());
    assertEquals(lease1, listed.get(good1));
    assertEquals(lease2, listed.get(good2));
    assertEquals(new String(notUtf8, UTF_8), listed.get(SUBNETS + "10.5.3.0-24"), "decoded with U+FFFD");
    assertTrue(listed.get(SUBNETS + "10.5.3.0-24").contains("\ufffd"));
    assertEquals("", listed.get(SUBNETS + "10.5.5.0-24"));
    assertTrue(listed.containsKey(new String(badKey, UTF_8)), listed.keySet().toString());

    List<StoreEvent> events = rec.events();
    assertEquals(8, events.size(), "one event per write, garbage included: " + events);
    assertEquals(StoreEvent.put(good1, lease1, events.get(0).revision()), events.get(0));
    assertEquals(StoreEvent.put(good2, lease2, events.get(7).revision()), events.get(7));
    assertTrue(store.get(good1).isPresent() && store.get(good2).isPresent());
  }

  private static void put(Client jetcd, byte[] key, byte[] value) throws Exception {
    jetcd.getKVClient().put(ByteSequence.from(key), ByteSequence.from(value)).get(10, TimeUnit.SECONDS);
  }

  private static long leaseOf(String key) {
    Matcher m = LEASE_FIELD.matcher(ETCD.server().etcdctl("get", key, "-w", "json"));
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static int countLeases() {
    return (int) Arrays.stream(ETCD.server().etcdctl("lease", "list").split("\n"))
        .filter(l -> l.matches("[0-9a-f]+")).count();
  }
}
