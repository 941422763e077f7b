package io.overlaynet.etcd;

/** {@link EtcdStoreWatchIT} over gRPC (jetcd) instead of the JSON gateway. */
class EtcdStoreWatchGrpcIT extends EtcdStoreWatchIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
