/**
 * The etcd {@code Store}: flannel's etcd layout over etcd's v3 JSON gateway (HTTP/1.1, TLS, auth,
 * watches with resume) with no dependency beyond the JDK, or over jetcd's gRPC client.
 *
 * <p>jetcd is optional ({@code requires static}): the default {@code http} transport never loads
 * it. The {@code grpc} transport is supported on the class path only: jetcd and its gRPC, netty and
 * vert.x dependencies ship no module descriptors and split packages across jars, so they cannot be
 * resolved as modules (see docs/design-notes.md).
 */
module io.overlaynet.etcd {
  requires transitive io.overlaynet.api;
  requires com.google.common;
  requires com.google.gson;
  requires org.slf4j;
  requires jdk.net;
  requires static jetcd.core;
  requires static jetcd.common;
  requires static io.grpc;
  requires static io.netty.handler;

  exports io.overlaynet.etcd;
}
