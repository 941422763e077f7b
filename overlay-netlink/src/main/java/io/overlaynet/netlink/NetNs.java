package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.util.concurrent.Uninterruptibles;
import io.overlaynet.netlink.internal.FileDescriptor;
import io.overlaynet.netlink.internal.NativeErrors;
import io.overlaynet.netlink.internal.NsSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace, held open by a file descriptor. Namespaces belong to OS threads, not
 * processes: code that must run inside one runs on a platform thread this class creates and
 * discards ({@link #run}); a socket stays in the namespace of the thread that created it, so a
 * handle opened inside keeps working from any thread ({@link NetlinkHandle#openIn}).
 *
 * <pre>{@code
 * try (NetNs ns = NetNs.create("ctn")) {              // ip netns add ctn
 *   String fwd = ns.run(() -> Sysctl.current().get("net.ipv4.ip_forward"));
 *   try (NetlinkHandle h = NetlinkHandle.openIn(ns)) {
 *     h.linkSetUp(h.linkByName("lo").index());
 *   }
 *   ns.delete();                                        // ip netns del ctn
 * }
 * }</pre>
 *
 * <p>Threads started from inside {@link #run} inherit the namespace: do not create shared thread
 * pools (e.g. the common fork-join pool) from there.
 */
public final class NetNs implements AutoCloseable {

  /** Where named namespaces are bind-mounted, as with {@code ip netns}. */
  public static final Path RUN_DIR = Path.of("/run/netns");

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final FileDescriptor fd;
  private final String name;
  private final Path path;

  private NetNs(FileDescriptor fd, String name, Path path) {
    this.fd = fd;
    this.name = name;
    this.path = path;
  }

  /** A task run inside a namespace. */
  @FunctionalInterface
  public interface Task<T, E extends Exception> {
    /** Runs the task; the thread is inside the namespace. */
    T call() throws E;
  }

  private static Path pathOf(String name) {
    checkArgument(name != null && !name.isEmpty() && !name.contains("/") && !name.equals(".") && !name.equals(".."),
        "invalid namespace name: %s", name);
    return RUN_DIR.resolve(name);
  }

  /**
   * Creates a new, empty namespace named {@code name} (its loopback is down, as with {@code ip}).
   * Equivalent to: {@code ip netns add NAME}.
   *
   * @throws NetlinkExistsException if a namespace of that name exists
   * @throws NetlinkException if unsharing or mounting fails (EPERM without root)
   */
  public static NetNs create(String name) throws NetlinkException {
    Path target = pathOf(name);
    NsSupport.ensureSharedRunDir(RUN_DIR);
    try {
      Files.createFile(target);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw NativeErrors.newException("ip netns add " + name, NativeErrors.EEXIST, null);
    } catch (IOException e) {
      throw NativeErrors.newException("ip netns add " + name + ": " + e.getMessage(), NativeErrors.EPERM, null);
    }
    try {
      onNewThread("netns-add-" + name, () -> {
        NsSupport.unshareNet();
        NsSupport.bindCurrentThreadNs(target);
        return null;
      });
      return openPath(target, name);
    } catch (NetlinkException | RuntimeException e) {
      try {
        NsSupport.unmount(target);
        Files.deleteIfExists(target);
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /**
   * Creates a new, empty namespace with no name: it lives as long as this object is open.
   * Tools like {@code ip -n} cannot see it; a child process started from {@link #run} can.
   *
   * @throws NetlinkException if unsharing fails
   */
  public static NetNs createUnnamed() throws NetlinkException {
    FileDescriptor fd = onNewThread("netns-unnamed", () -> {
      NsSupport.unshareNet();
      return NsSupport.open(Path.of("/proc/thread-self/ns/net"));
    });
    return new NetNs(fd, null, null);
  }

  /**
   * Opens the namespace named {@code name}.
   *
   * @throws NetlinkNotFoundException if there is none
   * @throws NetlinkException if it cannot be opened
   */
  public static NetNs open(String name) throws NetlinkException {
    return openPath(pathOf(name), name);
  }

  /**
   * Opens a namespace by path, e.g. {@code /proc/1234/ns/net} or {@code /var/run/netns/x}.
   *
   * @throws NetlinkNotFoundException if the path does not exist
   * @throws NetlinkException if it cannot be opened
   */
  public static NetNs openPath(Path path) throws NetlinkException {
    String name = path.getParent() != null && path.getParent().equals(RUN_DIR) ? path.getFileName().toString() : null;
    return openPath(path, name);
  }

  private static NetNs openPath(Path path, String name) throws NetlinkException {
    return new NetNs(NsSupport.open(path), name, path);
  }

  /**
   * Opens the calling thread's current namespace.
   *
   * @throws NetlinkException if {@code /proc/thread-self/ns/net} cannot be opened
   */
  public static NetNs current() throws NetlinkException {
    return new NetNs(NsSupport.open(Path.of("/proc/thread-self/ns/net")), null, null);
  }

  /** Returns whether a namespace named {@code name} exists under {@link #RUN_DIR}. */
  public static boolean exists(String name) {
    return Files.exists(pathOf(name));
  }

  /**
   * Lists the named namespaces. Equivalent to: {@code ip netns list}.
   *
   * @throws IOException if the directory cannot be read
   */
  public static List<String> list() throws IOException {
    if (!Files.isDirectory(RUN_DIR)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(RUN_DIR)) {
      for (Path p : ds) {
        out.add(p.getFileName().toString());
      }
    }
    Collections.sort(out);
    return out;
  }

  /**
   * Removes the name of namespace {@code name}; the namespace itself disappears when nothing
   * (process, thread, fd, mount) holds it any more. Equivalent to: {@code ip netns del NAME}.
   *
   * @throws NetlinkNotFoundException if there is no such namespace
   * @throws NetlinkException if unmounting fails
   */
  public static void delete(String name) throws NetlinkException {
    Path target = pathOf(name);
    if (!Files.exists(target)) {
      throw NativeErrors.newException("ip netns del " + name, NativeErrors.ENOENT, null);
    }
    NsSupport.unmount(target);
    try {
      Files.deleteIfExists(target);
    } catch (IOException e) {
      throw NativeErrors.newException("ip netns del " + name + ": " + e.getMessage(), NativeErrors.EBUSY, null);
    }
  }

  /**
   * Closes this handle and removes the namespace's name (if it has one). Equivalent to: {@code ip netns del NAME}.
   *
   * @throws NetlinkException if unmounting fails
   */
  public void delete() throws NetlinkException {
    close();
    if (name != null && Files.exists(pathOf(name))) {
      delete(name);
    }
  }

  /** Returns the name under {@link #RUN_DIR}, or null for an unnamed or path-opened namespace. */
  public String name() {
    return name;
  }

  /** Returns the path this namespace was opened from, or null. */
  public Path path() {
    return path;
  }

  /**
   * Runs {@code task} on a new platform thread that entered this namespace, waits for it, and
   * returns its result; the thread is discarded afterwards. Exceptions of the task are rethrown.
   *
   * @throws E what the task throws
   * @throws NetlinkException if entering the namespace fails
   */
  public <T, E extends Exception> T run(Task<T, E> task) throws E, NetlinkException {
    return NetNs.<T, E>onNewThread("netns-" + (name != null ? name : "fd" + fd.intValue()), () -> {
      try {
        NsSupport.setns(fd, toString());
      } catch (NetlinkException e) {
        // Declared by run() itself; onNewThread rethrows whatever the thread threw.
        throw NetNs.<RuntimeException>sneaky(e);
      }
      return task.call();
    });
  }

  @SuppressWarnings("unchecked")
  private static <X extends Throwable> X sneaky(Throwable t) throws X {
    throw (X) t;
  }

  /**
   * Starts a long-running platform thread inside this namespace (e.g. an agent for it); returns
   * once the thread has entered the namespace.
   *
   * @throws NetlinkException if entering the namespace fails (the body is then not run)
   */
  public Thread startThread(String threadName, Runnable body) throws NetlinkException {
    CompletableFuture<Void> entered = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        NsSupport.setns(fd, NetNs.this.toString());
      } catch (NetlinkException | RuntimeException e) {
        entered.completeExceptionally(e);
        return;
      }
      entered.complete(null);
      body.run();
    }, threadName);
    t.setDaemon(true);
    t.start();
    try {
      Uninterruptibles.getUninterruptibly(entered);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
    return t;
  }

  /**
   * Returns a factory of platform threads that enter this namespace before running their task,
   * e.g. for {@code Agent.builder().threadFactory(...)}: whatever the task creates (sockets,
   * devices, further threads) lives in this namespace. If entering fails, the task does not run
   * and the thread ends with the error.
   */
  public ThreadFactory threadFactory() {
    return task -> {
      Thread t = new Thread(() -> {
        try {
          NsSupport.setns(fd, toString());
        } catch (NetlinkException e) {
          throw new UncheckedIOException("cannot enter " + this, e);
        }
        task.run();
      }, "netns-" + (name != null ? name : "fd" + fd.intValue()) + "-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @SuppressWarnings("unchecked")
  private static <T, E extends Exception> T onNewThread(String threadName, Task<T, E> task) throws E {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        result.complete(task.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, threadName + "-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    t.start();
    try {
      return Uninterruptibles.getUninterruptibly(result);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Error err) {
        throw err;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw (E) cause;
    }
  }

  private static NetlinkException rethrow(Throwable cause) {
    if (cause instanceof NetlinkException ne) {
      return ne;
    }
    if (cause instanceof RuntimeException re) {
      throw re;
    }
    throw new IllegalStateException(cause);
  }

  /** Returns the raw fd. Internal usage only (for {@code IFLA_NET_NS_FD}); valid while open. */
  public int fd() {
    return fd.intValue();
  }

  /** Closes the fd; a named namespace keeps existing. Idempotent. */
  @Override
  public void close() {
    fd.close();
  }

  @Override
  public String toString() {
    return "NetNs{" + (name != null ? name : path != null ? path.toString() : "unnamed") + ", fd=" + fd.intValue() + "}";
  }
}
