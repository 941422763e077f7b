/**
 * The pure-Java netlink wire codec: one class per kernel structure ({@code nlmsghdr},
 * {@code ifinfomsg}, {@code ifaddrmsg}, {@code rtmsg}, {@code ndmsg}, {@code rtattr},
 * {@code nlmsgerr}) with {@code encodeTo}/{@code decode} over native-order buffers. No native
 * calls: everything here is unit-testable without privileges.
 */
package io.overlaynet.netlink.codec;
