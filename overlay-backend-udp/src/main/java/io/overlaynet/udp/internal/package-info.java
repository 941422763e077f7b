/**
 * The udp backend's data path: packet logic, the peer table, and the small jnr-ffi binding for
 * batched socket I/O. Internal usage only; nothing here is API.
 */
package io.overlaynet.udp.internal;
