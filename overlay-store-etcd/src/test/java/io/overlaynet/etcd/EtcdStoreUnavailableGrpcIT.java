package io.overlaynet.etcd;

/** {@link EtcdStoreUnavailableIT} over gRPC (jetcd) instead of the JSON gateway. */
class EtcdStoreUnavailableGrpcIT extends EtcdStoreUnavailableIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
