package io.overlaynet.netlink.internal;

import io.overlaynet.netlink.internal.ffi.LibC;
import jnr.ffi.LibraryLoader;

/**
 * Loads libc once and hands out the binding; remembers why loading failed so capability probes
 * can explain it. Internal usage only.
 */
public final class Native {

  private static final LibC LIBC;
  private static final jnr.ffi.Runtime RUNTIME;
  private static final Throwable LOAD_FAILURE;

  static {
    LibC libc = null;
    jnr.ffi.Runtime runtime = null;
    Throwable failure = null;
    try {
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
        throw new UnsupportedOperationException("netlink needs Linux, not " + System.getProperty("os.name"));
      }
      libc = LibraryLoader.create(LibC.class).load("c");
      runtime = jnr.ffi.Runtime.getRuntime(libc);
    } catch (Throwable t) {
      failure = t;
    }
    LIBC = libc;
    RUNTIME = runtime;
    LOAD_FAILURE = failure;
  }

  private Native() {}

  /**
   * Returns the libc binding.
   *
   * @throws UnsupportedOperationException if libc could not be bound (not Linux, jnr missing)
   */
  public static LibC libc() {
    if (LIBC == null) {
      throw new UnsupportedOperationException("libc binding unavailable: " + LOAD_FAILURE, LOAD_FAILURE);
    }
    return LIBC;
  }

  /** Returns why libc could not be bound, or null. */
  public static Throwable loadFailure() {
    return LOAD_FAILURE;
  }

  /** Returns the size of a native pointer in bytes (8 on 64-bit runtimes). */
  public static int addressSize() {
    return runtime().addressSize();
  }

  /** Returns the size of a native {@code long} in bytes (8 on LP64). */
  public static int longSize() {
    return runtime().longSize();
  }

  private static jnr.ffi.Runtime runtime() {
    libc(); // explains a load failure
    return RUNTIME;
  }

  /** Returns errno of the calling thread's last native call. */
  public static int errno() {
    return RUNTIME.getLastError();
  }

  /**
   * Returns the native address of a direct buffer's first byte (index 0, not its position).
   *
   * @throws IllegalArgumentException if {@code direct} is not a direct buffer
   */
  public static long address(java.nio.ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("not a direct buffer");
    }
    return com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(direct);
  }
}
