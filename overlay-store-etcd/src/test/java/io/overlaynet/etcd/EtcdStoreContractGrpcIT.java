package io.overlaynet.etcd;

/** {@link EtcdStoreContractIT} over gRPC (jetcd) instead of the JSON gateway. */
class EtcdStoreContractGrpcIT extends EtcdStoreContractIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
