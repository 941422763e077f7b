package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.internal.ffi.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The native side of network namespaces: open, setns, unshare and the bind mount that names a
 * namespace under {@code /run/netns} exactly as {@code ip netns add} does. Internal usage only.
 */
public final class NsSupport {

  /** {@code CLONE_NEWNET}. */
  public static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int MS_BIND = 4096;
  private static final int MS_REC = 16384;
  private static final int MS_SHARED = 1 << 20;
  private static final int MNT_DETACH = 2;

  private static volatile boolean runDirShared;

  private NsSupport() {}

  /**
   * Opens a namespace file read-only.
   *
   * @throws NetlinkException (ENOENT as {@code NetlinkNotFoundException}) if it cannot be opened
   */
  public static FileDescriptor open(Path path) throws NetlinkException {
    int fd = Native.libc().open(path.toString(), O_RDONLY | O_CLOEXEC);
    return FileDescriptor.of(NativeErrors.check("open " + path, fd));
  }

  /**
   * Moves the calling thread into the namespace of {@code fd}.
   *
   * @throws NetlinkException if setns fails
   */
  public static void setns(FileDescriptor fd, String what) throws NetlinkException {
    if (!fd.acquire()) {
      throw NativeErrors.newException("setns " + what + ": namespace handle closed", NativeErrors.EBADF, null);
    }
    try {
      NativeErrors.check("setns " + what, Native.libc().setns(fd.intValue(), CLONE_NEWNET));
    } finally {
      fd.release();
    }
  }

  /**
   * Moves the calling thread into a new, empty network namespace.
   *
   * @throws NetlinkException if unshare fails (EPERM without CAP_SYS_ADMIN)
   */
  public static void unshareNet() throws NetlinkException {
    NativeErrors.check("unshare(CLONE_NEWNET)", Native.libc().unshare(CLONE_NEWNET));
  }

  /**
   * Makes {@code dir} a shared mount point (bind-mounting it onto itself first if needed), so
   * namespace mounts below it propagate to other mount namespaces, as iproute2 does.
   */
  public static void ensureSharedRunDir(Path dir) throws NetlinkException {
    if (runDirShared) {
      return;
    }
    synchronized (NsSupport.class) {
      if (runDirShared) {
        return;
      }
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw NativeErrors.newException("mkdir " + dir + ": " + e.getMessage(), NativeErrors.EPERM, null);
      }
      LibC libc = Native.libc();
      boolean bound = false;
      while (libc.mount("", dir.toString(), "none", MS_SHARED | MS_REC, null) < 0) {
        int errno = Native.errno();
        if (errno != NativeErrors.EINVAL || bound) {
          throw NativeErrors.newException("mount --make-rshared " + dir, errno, null);
        }
        // EINVAL: not a mount point yet. Bind it onto itself, then retry.
        NativeErrors.check("mount --bind " + dir, libc.mount(dir.toString(), dir.toString(), "none", MS_BIND | MS_REC, null));
        bound = true;
      }
      runDirShared = true;
    }
  }

  /**
   * Bind-mounts the calling thread's namespace onto {@code target}.
   *
   * @throws NetlinkException if the mount fails
   */
  public static void bindCurrentThreadNs(Path target) throws NetlinkException {
    NativeErrors.check("mount --bind /proc/thread-self/ns/net " + target,
        Native.libc().mount("/proc/thread-self/ns/net", target.toString(), "none", MS_BIND, null));
  }

  /** Detaches the mount at {@code target}; returns false if nothing was mounted there. */
  public static boolean unmount(Path target) throws NetlinkException {
    if (Native.libc().umount2(target.toString(), MNT_DETACH) < 0) {
      int errno = Native.errno();
      if (errno == NativeErrors.EINVAL || errno == NativeErrors.ENOENT) {
        return false;
      }
      throw NativeErrors.newException("umount " + target, errno, null);
    }
    return true;
  }
}
