package io.overlaynet.udp.internal;

import io.overlaynet.ip.Ip4;
import java.io.IOException;

/** Turns errno values into messages and exceptions in one place. Internal usage only. */
public final class Errors {

  private Errors() {}

  /** Returns e.g. {@code "Address already in use (errno 98)"}. */
  public static String describe(int errno) {
    String text;
    try {
      text = jnr.constants.platform.Errno.valueOf(errno).description();
    } catch (RuntimeException | LinkageError e) {
      text = "error";
    }
    return text + " (errno " + errno + ")";
  }

  /** Returns an IOException for {@code op} failing with {@code errno}. */
  public static IOException io(String op, int errno) {
    return new IOException(op + ": " + describe(errno));
  }

  /** Formats a big-endian int address. */
  public static String ip(int addr) {
    return Ip4.of(addr).toString();
  }
}
