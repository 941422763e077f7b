package io.overlaynet.netlink.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny, idempotently closable file descriptor with a use count: {@link #close()} marks it
 * closed at once, and the real {@code close(2)} happens when the last in-flight user calls
 * {@link #release()}. That keeps a concurrent reader from ever touching a recycled fd number.
 * Internal usage only.
 *
 * <pre>{@code
 * if (fd.acquire()) {
 *   try { libc.read(fd.intValue(), buf, n); } finally { fd.release(); }
 * }
 * }</pre>
 */
public final class FileDescriptor implements AutoCloseable {

  private static final int CLOSED = 1;
  private static final int ONE_USER = 2;

  private final int fd;
  /** Bit 0: closed; the rest: twice the number of in-flight users. */
  private final AtomicInteger state = new AtomicInteger();

  private FileDescriptor(int fd) {
    this.fd = fd;
  }

  /**
   * Wraps an open fd.
   *
   * @throws IllegalArgumentException if {@code fd} is negative
   */
  public static FileDescriptor of(int fd) {
    if (fd < 0) {
      throw new IllegalArgumentException("invalid fd " + fd);
    }
    return new FileDescriptor(fd);
  }

  /** Returns the raw fd number; only meaningful between {@link #acquire()} and {@link #release()}. */
  public int intValue() {
    return fd;
  }

  /** Returns whether {@link #close()} has not been called. */
  public boolean isOpen() {
    return (state.get() & CLOSED) == 0;
  }

  /** Registers an in-flight use; returns false (and registers nothing) if already closed. */
  public boolean acquire() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + ONE_USER)) {
        return true;
      }
    }
  }

  /** Ends an in-flight use; closes the fd if it was the last one after {@link #close()}. */
  public void release() {
    if (state.addAndGet(-ONE_USER) == CLOSED) {
      Native.libc().close(fd);
    }
  }

  /** Marks the fd closed; closes it now, or when the last in-flight user releases it. Idempotent. */
  @Override
  public void close() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return;
      }
      if (state.compareAndSet(s, s | CLOSED)) {
        if (s == 0) {
          Native.libc().close(fd);
        }
        return;
      }
    }
  }

  @Override
  public String toString() {
    return "FileDescriptor{fd=" + fd + (isOpen() ? "" : ", closed") + "}";
  }
}
