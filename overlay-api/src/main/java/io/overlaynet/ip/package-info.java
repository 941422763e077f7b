/**
 * Immutable IP, CIDR and MAC value types with the operations flannel's {@code pkg/ip} offers.
 *
 * <p>All parsers take literals only and never resolve names.
 */
package io.overlaynet.ip;
