package io.overlaynet.etcd;

/** {@link EtcdStoreTlsIT} over gRPC (jetcd) instead of the JSON gateway. */
class EtcdStoreTlsGrpcIT extends EtcdStoreTlsIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
