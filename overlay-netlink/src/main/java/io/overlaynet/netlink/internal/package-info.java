/**
 * Internal usage only: the jnr-ffi libc binding, errno mapping, fd wrappers, the netlink request
 * loop and message translation. Not API; may change without notice.
 */
package io.overlaynet.netlink.internal;
