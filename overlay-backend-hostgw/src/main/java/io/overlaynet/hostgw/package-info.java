/**
 * The host-gw backend: a route per remote subnet via the remote node's public IP, for hosts on
 * one layer-2 network.
 */
package io.overlaynet.hostgw;
