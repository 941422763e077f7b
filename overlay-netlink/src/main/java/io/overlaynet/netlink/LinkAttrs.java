package io.overlaynet.netlink;

import static com.google.common.base.Preconditions.checkArgument;

import io.overlaynet.ip.MacAddress;
import java.nio.charset.StandardCharsets;

/**
 * The kind-independent attributes of a link. When creating a link, 0 / null / -1 mean "kernel
 * default"; when read back they are the kernel's values.
 *
 * <pre>{@code
 * LinkAttrs a = LinkAttrs.builder("flannel.1").withMtu(1450).withHardwareAddr(mac).build();
 * }</pre>
 *
 * @param index interface index (0 when creating)
 * @param name interface name (at most 15 bytes)
 * @param mtu MTU, 0 for the default
 * @param hardwareAddr MAC address, or null (default, or a device without one)
 * @param flags {@code IFF_*} flags; when creating, {@code IFF_UP} brings the link up
 * @param masterIndex index of the master (bridge), 0 for none
 * @param parentIndex {@code IFLA_LINK}: the veth peer's index or the parent device, 0 for none
 * @param operState RFC 2863 operational state ({@code IF_OPER_*}, 6 = up), 0 when unknown
 * @param txQueueLen transmit queue length, -1 for the default
 */
public record LinkAttrs(int index, String name, int mtu, MacAddress hardwareAddr, int flags, int masterIndex,
    int parentIndex, int operState, int txQueueLen) {

  /** Maximum interface name length in bytes ({@code IFNAMSIZ - 1}). */
  public static final int MAX_NAME_LENGTH = 15;

  /**
   * Validates the name.
   *
   * @throws IllegalArgumentException if the name is empty, too long or contains '/' or whitespace
   */
  public LinkAttrs {
    checkName(name);
    checkArgument(mtu >= 0, "mtu must not be negative: %s", mtu);
  }

  static void checkName(String name) {
    checkArgument(name != null && !name.isEmpty(), "interface name must not be empty");
    checkArgument(name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_LENGTH,
        "interface name longer than 15 bytes: %s", name);
    checkArgument(name.chars().noneMatch(c -> c == '/' || Character.isWhitespace(c)),
        "invalid interface name: %s", name);
  }

  /** Returns attributes with only a name: what {@code ip link add NAME type ...} sends. */
  public static LinkAttrs named(String name) {
    return builder(name).build();
  }

  /** Starts a builder for a link called {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Returns whether the link is administratively up ({@code IFF_UP}). */
  public boolean isUp() {
    return (flags & 0x1) != 0;
  }

  /** Returns a builder initialised from this value. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.index = index;
    b.mtu = mtu;
    b.hardwareAddr = hardwareAddr;
    b.flags = flags;
    b.masterIndex = masterIndex;
    b.parentIndex = parentIndex;
    b.operState = operState;
    b.txQueueLen = txQueueLen;
    return b;
  }

  /** Builds {@link LinkAttrs}. */
  public static final class Builder {
    private final String name;
    private int index;
    private int mtu;
    private MacAddress hardwareAddr;
    private int flags;
    private int masterIndex;
    private int parentIndex;
    private int operState;
    private int txQueueLen = -1;

    private Builder(String name) {
      this.name = name;
    }

    /** Sets the index (used when describing an existing link). */
    public Builder withIndex(int index) {
      this.index = index;
      return this;
    }

    /** Sets the MTU. */
    public Builder withMtu(int mtu) {
      this.mtu = mtu;
      return this;
    }

    /** Sets the MAC address. */
    public Builder withHardwareAddr(MacAddress mac) {
      this.hardwareAddr = mac;
      return this;
    }

    /** Sets the {@code IFF_*} flags. */
    public Builder withFlags(int flags) {
      this.flags = flags;
      return this;
    }

    /** Creates the link administratively up (or not). */
    public Builder withUp(boolean up) {
      this.flags = up ? flags | 0x1 : flags & ~0x1;
      return this;
    }

    /** Sets the master (bridge) index. */
    public Builder withMasterIndex(int index) {
      this.masterIndex = index;
      return this;
    }

    /** Sets {@code IFLA_LINK}. */
    public Builder withParentIndex(int index) {
      this.parentIndex = index;
      return this;
    }

    /** Sets the operational state. */
    public Builder withOperState(int state) {
      this.operState = state;
      return this;
    }

    /** Sets the transmit queue length. */
    public Builder withTxQueueLen(int len) {
      this.txQueueLen = len;
      return this;
    }

    /**
     * Builds the value.
     *
     * @throws IllegalArgumentException if the name is invalid or the MTU negative
     */
    public LinkAttrs build() {
      return new LinkAttrs(index, name, mtu, hardwareAddr, flags, masterIndex, parentIndex, operState, txQueueLen);
    }
  }
}
