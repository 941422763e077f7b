/**
 * The vxlan backend: kernel VXLAN devices {@code flannel.<VNI>} (IPv4) and
 * {@code flannel-v6.<VNI>} (IPv6, with {@code EnableIPv6}) with permanent neighbour and FDB
 * entries and an onlink route per remote subnet and family, as flanneld programs them.
 */
package io.overlaynet.vxlan;
