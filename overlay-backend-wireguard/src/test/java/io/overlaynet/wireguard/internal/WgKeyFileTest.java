package io.overlaynet.wireguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** flannel's key file: created atomically with mode 0400, read back, bad content refused. */
class WgKeyFileTest {

  @TempDir
  Path dir;

  static String content(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.US_ASCII);
  }

  static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void createsTheFileWithMode0400AsFlannelWritesIt() throws IOException {
    Path file = dir.resolve("run/flannel/wgkey");
    PrivateKey key = WgKeyFile.loadOrCreate(file);
    assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    // flannel writes privateKey.String(): 44 characters of base64, no newline.
    String text = content(file);
    assertEquals(44, text.length());
    assertEquals(key, PrivateKey.parse(text));
    assertEquals(List.of("wgkey"), names(file.getParent()), "no temporary file is left");
  }

  @Test
  void readsBackTheSameKeyWithoutRewriting() throws IOException {
    Path file = dir.resolve("wgkey");
    PrivateKey first = WgKeyFile.loadOrCreate(file);
    Object inode = Files.readAttributes(file, "unix:ino").get("ino");
    PrivateKey second = WgKeyFile.loadOrCreate(file);
    assertEquals(first, second);
    assertEquals(first.publicKey(), second.publicKey());
    assertEquals(inode, Files.readAttributes(file, "unix:ino").get("ino"));
    assertEquals(first, WgKeyFile.read(file));
  }

  @Test
  void readsAKeyWrittenByWgGenkey() throws IOException {
    // wg genkey > file: the key and a newline, usually mode 0600 (umask 077).
    Path file = dir.resolve("wgkey");
    Files.writeString(file, KeysTest.WG_PRIVATE + "\n", StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    PrivateKey key = WgKeyFile.loadOrCreate(file);
    assertEquals(KeysTest.WG_PUBLIC, key.publicKey().toString());
    assertEquals(KeysTest.WG_PRIVATE + "\n", content(file), "an existing file is not rewritten");
  }

  @Test
  void badContentIsAClearErrorThatDoesNotQuoteIt() throws IOException {
    Path file = dir.resolve("wgkey");
    String truncated = KeysTest.WG_PRIVATE.substring(0, 40);
    for (String bad : new String[] {"", truncated,
        KeysTest.WG_PRIVATE.replace('A', '*'), KeysTest.WG_PRIVATE + KeysTest.WG_PRIVATE}) {
      Files.writeString(file, bad, StandardCharsets.US_ASCII);
      IOException e = assertThrows(IOException.class, () -> WgKeyFile.loadOrCreate(file), bad);
      assertTrue(e.getMessage().startsWith("WireGuard key file " + file
          + " does not hold a private key: "), e.getMessage());
      if (!bad.isEmpty()) {
        assertFalse(e.getMessage().contains(bad.substring(0, 8)), e.getMessage());
      }
      assertEquals(bad, content(file), "a bad file is left for the operator to look at");
    }
  }

  @Test
  void aFileTooBigForAKeyIsRefused() throws IOException {
    Path file = dir.resolve("wgkey");
    Files.write(file, new byte[4096]);
    IOException e = assertThrows(IOException.class, () -> WgKeyFile.read(file));
    assertEquals("WireGuard key file " + file + " is not a key file: more than 256 bytes",
        e.getMessage());
  }

  @Test
  void createRefusesToReplaceAFile() throws IOException {
    Path file = dir.resolve("wgkey");
    Files.writeString(file, KeysTest.WG_PRIVATE, StandardCharsets.US_ASCII);
    assertThrows(FileAlreadyExistsException.class,
        () -> WgKeyFile.create(file, PrivateKey.generate()));
    assertEquals(KeysTest.WG_PRIVATE, content(file));
    assertEquals(List.of("wgkey"), names(dir), "no temporary file is left");
  }

  @Test
  void concurrentCreatorsAgreeOnOneKey() throws Exception {
    // Two agents starting at once on a fresh node: whoever links first wins, the others read
    // the winner's key (link(2) does not replace, where rename(2) would).
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 20; round++) {
        Path file = dir.resolve("race" + round + "/wgkey");
        CountDownLatch start = new CountDownLatch(1);
        List<Future<PrivateKey>> keys = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          keys.add(pool.submit(() -> {
            start.await();
            return WgKeyFile.loadOrCreate(file);
          }));
        }
        start.countDown();
        List<PrivateKey> got = new ArrayList<>();
        for (Future<PrivateKey> k : keys) {
          got.add(k.get(10, TimeUnit.SECONDS));
        }
        PrivateKey inFile = WgKeyFile.read(file);
        for (PrivateKey k : got) {
          assertEquals(inFile, k, "round " + round);
        }
        assertEquals(List.of("wgkey"), names(file.getParent()));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void readOfAMissingFileSaysSo() {
    assertThrows(NoSuchFileException.class, () -> WgKeyFile.read(dir.resolve("none")));
  }

  @Test
  void neverLogsThePrivateKey() throws IOException {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrivateKey key;
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      key = WgKeyFile.loadOrCreate(dir.resolve("wgkey"));
      // And the warning about a world-readable file.
      Path exposed = dir.resolve("exposed");
      Files.writeString(exposed, KeysTest.WG_PRIVATE, StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(exposed, PosixFilePermissions.fromString("rw-r--r--"));
      WgKeyFile.read(exposed);
    } finally {
      System.setErr(saved);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains(key.publicKey().toString()), log);
    assertTrue(log.contains("accessible by group or others"), log);
    String secret = new String(key.toBase64Ascii(), StandardCharsets.US_ASCII);
    assertFalse(log.contains(secret.substring(0, 12)), log);
    assertFalse(log.contains(KeysTest.WG_PRIVATE.substring(0, 12)), log);
  }

  @Test
  void pathFollowsWireguardKeyFile() {
    assertEquals(Path.of("/run/flannel/wgkey"), WgKeyFile.path(Map.of()));
    assertEquals(Path.of("/etc/flannel/key"),
        WgKeyFile.path(Map.of("WIREGUARD_KEY_FILE", "/etc/flannel/key")));
    assertEquals(WgKeyFile.DEFAULT_PATH, WgKeyFile.path(Map.of("WIREGUARD_KEY_FILE", "")));
  }
}
