/**
 * Internal usage only: the jnr-ffi binding of libc, and nothing else.
 *
 * <p>It is a package of its own because jnr-ffi defines the binding's implementation in a class
 * loader of its own, whose unnamed module must be able to implement the interface at run time; the
 * module therefore {@code opens} this package (exported at run time, invisible at compile time) and
 * keeps every other internal package closed. The binding instance itself is only reachable through
 * {@code io.overlaynet.netlink.internal.Native}, which is not opened.
 */
package io.overlaynet.netlink.internal.ffi;
