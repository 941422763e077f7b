package io.overlaynet.wireguard.internal;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's WireGuard key file: the node's private key in base64, 44 characters and no newline,
 * at {@code /run/flannel/wgkey} unless {@code WIREGUARD_KEY_FILE} names another path; read if it
 * exists, generated and written (mode 0400) if not (flannel's {@code setupKeys} in
 * {@code pkg/backend/wireguard/device.go}).
 *
 * <pre>{@code
 * PrivateKey key = WgKeyFile.loadOrCreate(WgKeyFile.path(System.getenv()));
 * lease.publicKey(key.publicKey());
 * }</pre>
 *
 * <p>Reading accepts white space around the key (a file written by {@code wg genkey > file} ends
 * in a newline; flannel's Go decoder ignores it too). Writing is atomic, which flannel's is not:
 * the key goes to a temporary file in the same directory, created with mode 0400 by the same
 * {@code open(2)} that creates it (so it is never readable by others, not even for an instant),
 * flushed, and then published under the final name with {@code link(2)}, which fails rather than
 * replace a file another process created meanwhile. A crash leaves either no key file or a
 * complete one. The key is never logged; the public key is.
 *
 * <p>Linux (POSIX permissions) only. Internal but public: the backend package calls it at start.
 */
public final class WgKeyFile {

  /** flannel's default key file. */
  public static final Path DEFAULT_PATH = Path.of("/run/flannel/wgkey");
  /** The environment variable that overrides {@link #DEFAULT_PATH}, as in flannel. */
  public static final String ENV_VAR = "WIREGUARD_KEY_FILE";

  private static final Logger LOG = LoggerFactory.getLogger(WgKeyFile.class);
  /** Larger than any key file with some white space; a bigger file is not a key file. */
  private static final int MAX_BYTES = 256;
  private static final Set<PosixFilePermission> OWNER_READ_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ);

  private WgKeyFile() {}

  /** Returns {@code $WIREGUARD_KEY_FILE} from {@code env} if set, else {@link #DEFAULT_PATH}. */
  public static Path path(Map<String, String> env) {
    String override = env.get(ENV_VAR);
    // flannel (os.LookupEnv) takes a set-but-empty variable as the path "" and fails to write
    // it; an empty value (e.g. "WIREGUARD_KEY_FILE=" in a unit file) means the default here.
    return override == null || override.isEmpty() ? DEFAULT_PATH : Path.of(override);
  }

  /**
   * Reads the key in {@code file}, or generates one and writes it there (creating the
   * directories) if the file does not exist. If another process creates the file between the
   * two steps, its key is read and returned.
   *
   * @throws IOException if the file cannot be read or written, or does not hold a key (the
   *     message names the file and what is wrong, never the content)
   */
  public static PrivateKey loadOrCreate(Path file) throws IOException {
    try {
      return read(file);
    } catch (NoSuchFileException e) {
      // No key yet: make one below.
    }
    PrivateKey key = PrivateKey.generate();
    try {
      create(file, key);
    } catch (FileAlreadyExistsException e) {
      // Lost a race with another agent on the same file: both must use the key it holds.
      key.destroy();
      return read(file);
    }
    LOG.info("Generated a WireGuard private key in {} (public key {})", file, key.publicKey());
    return key;
  }

  /**
   * Reads the key in {@code file}. Warns (without the key) if the file is readable by group or
   * others.
   *
   * @throws NoSuchFileException if {@code file} does not exist
   * @throws IOException if it cannot be read or does not hold a key in base64 (the message
   *     names the file and what is wrong, never the content)
   */
  public static PrivateKey read(Path file) throws IOException {
    byte[] buf = new byte[MAX_BYTES + 1];
    try (FileChannel ch = FileChannel.open(file, READ)) {
      ByteBuffer bb = ByteBuffer.wrap(buf);
      while (bb.hasRemaining() && ch.read(bb) >= 0) {
        // Read until the end of the file or one byte more than a key file may have.
      }
      int len = bb.position();
      if (len > MAX_BYTES) {
        throw new IOException("WireGuard key file " + file + " is not a key file: more than "
            + MAX_BYTES + " bytes");
      }
      warnIfExposed(file);
      int start = 0;
      int end = len;
      while (start < end && isSpace(buf[start])) {
        start++;
      }
      while (end > start && isSpace(buf[end - 1])) {
        end--;
      }
      try {
        return PrivateKey.parseAscii(buf, start, end - start,
            "WireGuard key file " + file + " does not hold a private key");
      } catch (IllegalArgumentException e) {
        // The message names the file and the defect, never the bytes (KeyCodec).
        throw new IOException(e.getMessage());
      }
    } finally {
      Arrays.fill(buf, (byte) 0);
    }
  }

  /**
   * Writes {@code key} to {@code file} (mode 0400, 44 characters of base64, no newline, as
   * flannel writes it), atomically, creating missing directories (mode 0755 less the umask, as
   * flannel's {@code MkdirAll(dir, 0755)}).
   *
   * @throws FileAlreadyExistsException if {@code file} exists (it is left as it is)
   * @throws IOException if the file cannot be written
   */
  public static void create(Path file, PrivateKey key) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    byte[] random = new byte[8];
    KeyCodec.RANDOM.nextBytes(random);
    Path tmp = dir.resolve("." + target.getFileName() + "." + HexFormat.of().formatHex(random)
        + ".tmp");
    byte[] content = key.toBase64Ascii();
    try {
      // The mode is given to open(2) with O_CREAT|O_EXCL: the file never exists with a wider
      // one, and the descriptor is writable although the mode is read-only.
      try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(CREATE_NEW, WRITE),
          PosixFilePermissions.asFileAttribute(OWNER_READ_ONLY))) {
        ByteBuffer bb = ByteBuffer.wrap(content);
        while (bb.hasRemaining()) {
          ch.write(bb);
        }
        ch.force(true);
      }
      publish(tmp, target);
    } finally {
      Arrays.fill(content, (byte) 0);
      Files.deleteIfExists(tmp);
    }
    // The directory is not fsynced: /run is a tmpfs, and if a crash loses a file written
    // elsewhere, the next start generates a new key and the lease announces it.
  }

  /** Gives {@code tmp} the name {@code target}, unless {@code target} exists. */
  private static void publish(Path tmp, Path target) throws IOException {
    try {
      // link(2) refuses an existing target (rename(2) would silently replace it).
      Files.createLink(target, tmp);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | FileSystemException e) {
      // A file system without hard links (vfat, some FUSE): an atomic rename, which may replace
      // a file created since this check — the best that is left.
      if (Files.exists(target)) {
        throw new FileAlreadyExistsException(target.toString());
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static void warnIfExposed(Path file) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      Set<PosixFilePermission> exposed = EnumSet.of(PosixFilePermission.GROUP_READ,
          PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.OTHERS_WRITE);
      exposed.retainAll(perms);
      if (!exposed.isEmpty()) {
        LOG.warn("WireGuard key file {} is accessible by group or others ({}); make it 0400 or"
            + " 0600", file, PosixFilePermissions.toString(perms));
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Only a warning: the key was readable, which is what matters here.
    }
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }
}
