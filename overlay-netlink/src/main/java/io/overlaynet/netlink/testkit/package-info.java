/**
 * A reusable kit for cluster tests: {@link io.overlaynet.netlink.testkit.TestCluster} builds
 * hosts and containers from network namespaces, checks reachability and tears everything down.
 * Needs root.
 */
package io.overlaynet.netlink.testkit;
