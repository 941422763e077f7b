package io.overlaynet.etcd;

/** {@link EtcdStoreAuthIT} over gRPC (jetcd) instead of the JSON gateway. */
class EtcdStoreAuthGrpcIT extends EtcdStoreAuthIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
