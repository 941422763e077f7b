package io.overlaynet.etcd;

/** {@link FlannelCompatIT} over gRPC (jetcd) instead of the JSON gateway. */
class FlannelCompatGrpcIT extends FlannelCompatIT {

  @Override
  EtcdOptions.Transport transport() {
    return EtcdOptions.Transport.GRPC;
  }
}
