package io.overlaynet.etcd;

/** {@link SubnetManagerEtcdIT} over gRPC (jetcd) instead of the JSON gateway. */
class SubnetManagerEtcdGrpcIT extends SubnetManagerEtcdIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
