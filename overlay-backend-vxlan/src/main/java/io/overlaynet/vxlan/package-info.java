/**
 * The vxlan backend: kernel VXLAN device {@code flannel.<VNI>} with permanent ARP and FDB
 * entries and an onlink route per remote subnet, as flanneld programs them.
 */
package io.overlaynet.vxlan;
