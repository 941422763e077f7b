package io.overlaynet.udp.internal;

import io.overlaynet.netlink.NativeIo;

/** Turns errno values from the data path's native calls into log text. Internal usage only. */
public final class Errors {

  private Errors() {}

  /** Returns e.g. {@code "Address already in use (errno 98)"}, from overlay-netlink's errno table. */
  public static String describe(int errno) {
    return NativeIo.describe(errno);
  }
}
