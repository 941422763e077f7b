package io.overlaynet.traffic;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs external commands with a timeout: a hung iptables (e.g. waiting forever on the xtables
 * lock) must not hang the agent, so a command that overruns is killed with its descendants and
 * reported. Internal; not part of the API.
 */
final class CommandRunner implements AutoCloseable {

  /** What a finished command returned. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {}

  // How long to wait for the output pipes after the process ended; a grandchild that kept a pipe
  // open must not block us past this.
  private static final long DRAIN_MILLIS = 2000;

  private final List<String> prefix;
  private final Duration timeout;
  private final ExecutorService io;

  CommandRunner(List<String> prefix, Duration timeout) {
    this(prefix, timeout, "overlaynet-iptables-io-");
  }

  /** As {@link #CommandRunner(List, Duration)}, naming the pipe threads {@code threadPrefix + n}. */
  CommandRunner(List<String> prefix, Duration timeout, String threadPrefix) {
    this.prefix = List.copyOf(prefix);
    this.timeout = timeout;
    AtomicInteger n = new AtomicInteger();
    // Pipes are drained on their own threads: a process that fills a pipe buffer nobody reads
    // would block forever and look like a hang.
    this.io = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, threadPrefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs {@code command} (after the prefix), feeding {@code stdin} if present, and returns its
   * result whatever the exit code.
   *
   * @throws TrafficException if it cannot be started, is interrupted, or exceeds the timeout (it is then killed)
   */
  Result run(List<String> command, Optional<String> stdin) throws TrafficException {
    List<String> full = new ArrayList<>(prefix);
    full.addAll(command);
    String shown = String.join(" ", full);
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(full);
      // Messages are matched (nft's "No such file or directory" for a missing table): keep them
      // in English whatever the host's locale.
      pb.environment().put("LC_ALL", "C");
      p = pb.start();
    } catch (IOException e) {
      throw new TrafficException("cannot run `" + shown + "`: " + e.getMessage(), e, full, OptionalInt.empty(), "",
          false);
    }
    Drain out = new Drain(p.getInputStream());
    Drain err = new Drain(p.getErrorStream());
    try {
      io.execute(out);
      io.execute(err);
      if (stdin.isPresent()) {
        byte[] bytes = stdin.get().getBytes(StandardCharsets.UTF_8);
        io.execute(() -> {
          try (OutputStream os = p.getOutputStream()) {
            os.write(bytes);
          } catch (IOException e) {
            // The process exited or closed stdin early; its exit code and stderr tell why.
          }
        });
      } else {
        closeQuietly(p.getOutputStream());
      }
    } catch (RejectedExecutionException e) {
      kill(p);
      throw new TrafficException("`" + shown + "` not run: the traffic manager is closed", e, full,
          OptionalInt.empty(), "", false);
    }
    boolean exited;
    try {
      exited = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new TrafficException("`" + shown + "` was interrupted; killed it", e, full, OptionalInt.empty(),
          err.text(), false);
    }
    if (!exited) {
      kill(p);
      String stderr = err.text();
      throw new TrafficException("`" + shown + "` did not finish within " + timeout.toMillis() + " ms; killed it"
          + (stderr.isEmpty() ? "" : ": " + stderr), null, full, OptionalInt.empty(), stderr, true);
    }
    out.await();
    err.await();
    return new Result(full, p.exitValue(), out.text(), err.text());
  }

  /**
   * Runs {@code command} and returns its result if it exited with one of {@code okCodes}.
   *
   * @throws TrafficException otherwise, with the command's stderr in the message
   */
  Result runChecked(List<String> command, Optional<String> stdin, int... okCodes) throws TrafficException {
    Result r = run(command, stdin);
    for (int ok : okCodes) {
      if (r.exitCode() == ok) {
        return r;
      }
    }
    String shown = String.join(" ", r.command());
    throw new TrafficException("`" + shown + "` failed with exit code " + r.exitCode()
        + (r.stderr().isEmpty() ? "" : ": " + r.stderr()), null, r.command(), OptionalInt.of(r.exitCode()),
        r.stderr(), false);
  }

  /**
   * Returns the absolute path of the executable {@code name} in {@code directory}, or else in
   * {@code PATH}, {@code /usr/sbin} or {@code /sbin}; empty if there is none.
   */
  static Optional<String> locate(String name, Optional<Path> directory) {
    List<String> dirs = new ArrayList<>();
    if (directory.isPresent()) {
      dirs.add(directory.get().toString());
    } else {
      // Debian's PATH for services may lack /usr/sbin, where iptables and nft live; an absolute
      // path also works unchanged behind a command prefix such as `ip netns exec`.
      String path = System.getenv("PATH");
      if (path != null) {
        dirs.addAll(List.of(path.split(File.pathSeparator)));
      }
      dirs.addAll(List.of("/usr/sbin", "/sbin"));
    }
    for (String dir : dirs) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, name).toAbsolutePath();
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate.toString());
        }
      }
    }
    return Optional.empty();
  }

  private static void kill(Process p) {
    // Children first: once the parent is gone they are re-parented and no longer found.
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(OutputStream os) {
    try {
      os.close();
    } catch (IOException e) {
      // nothing to do: the process did not want input
    }
  }

  /** Stops the pipe-draining threads. */
  @Override
  public void close() {
    io.shutdownNow();
  }

  /** Reads a stream to its end; what was read so far can be taken at any time. */
  private static final class Drain implements Runnable {
    private final InputStream in;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final CountDownLatch done = new CountDownLatch(1);

    Drain(InputStream in) {
      this.in = in;
    }

    @Override
    public void run() {
      byte[] chunk = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(chunk)) >= 0) {
          synchronized (buf) {
            buf.write(chunk, 0, n);
          }
        }
      } catch (IOException e) {
        // The stream was closed under us (process killed); keep what we have.
      } finally {
        done.countDown();
      }
    }

    void await() {
      try {
        done.await(DRAIN_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    String text() {
      synchronized (buf) {
        return buf.toString(StandardCharsets.UTF_8).trim();
      }
    }
  }
}
