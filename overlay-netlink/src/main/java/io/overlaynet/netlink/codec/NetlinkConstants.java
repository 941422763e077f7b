package io.overlaynet.netlink.codec;

/**
 * Netlink-level constants from {@code <linux/netlink.h>}: message types, header flags,
 * socket options and the extended-ack attributes.
 *
 * <pre>{@code
 * int flags = NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK;
 * }</pre>
 */
public final class NetlinkConstants {

  private NetlinkConstants() {}

  /** Socket family {@code AF_NETLINK}. */
  public static final int AF_NETLINK = 16;
  /** The routing netlink protocol. */
  public static final int NETLINK_ROUTE = 0;
  /** Socket option level for netlink options. */
  public static final int SOL_NETLINK = 270;
  /** Do not echo the request payload in error/ack messages. */
  public static final int NETLINK_CAP_ACK = 10;
  /** Ask for extended-ack TLVs (the kernel's error text). */
  public static final int NETLINK_EXT_ACK = 11;

  /** No-op message. */
  public static final int NLMSG_NOOP = 1;
  /** Error or acknowledgement. */
  public static final int NLMSG_ERROR = 2;
  /** End of a multipart (dump) reply. */
  public static final int NLMSG_DONE = 3;
  /** Data lost. */
  public static final int NLMSG_OVERRUN = 4;

  /** The message is a request. */
  public static final int NLM_F_REQUEST = 0x01;
  /** Part of a multipart reply. */
  public static final int NLM_F_MULTI = 0x02;
  /** Reply with an acknowledgement. */
  public static final int NLM_F_ACK = 0x04;
  /** Echo the resulting notification. */
  public static final int NLM_F_ECHO = 0x08;
  /** The dump was inconsistent because the object set changed during it. */
  public static final int NLM_F_DUMP_INTR = 0x10;
  /** Dump the whole table ({@code NLM_F_ROOT|NLM_F_MATCH}). */
  public static final int NLM_F_DUMP = 0x300;
  /** Replace an existing object. */
  public static final int NLM_F_REPLACE = 0x100;
  /** Fail if the object exists. */
  public static final int NLM_F_EXCL = 0x200;
  /** Create the object if it does not exist. */
  public static final int NLM_F_CREATE = 0x400;
  /** Add to the end of the list. */
  public static final int NLM_F_APPEND = 0x800;
  /** In an error message: the request payload was not echoed. */
  public static final int NLM_F_CAPPED = 0x100;
  /** In an error message: extended-ack attributes follow. */
  public static final int NLM_F_ACK_TLVS = 0x200;

  /** Extended-ack attribute: the error message string. */
  public static final int NLMSGERR_ATTR_MSG = 1;
  /** Extended-ack attribute: offset of the offending attribute. */
  public static final int NLMSGERR_ATTR_OFFS = 2;
}
