package io.overlaynet;

/**
 * The store holds no network config yet. flanneld waits and retries in this case; so does the
 * agent runtime.
 */
public class NetworkConfigNotFoundException extends NetworkConfigException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception naming the key that was read. */
  public NetworkConfigNotFoundException(String key) {
    super("flannel config not found in etcd store. Did you create your config using etcdv3 API? (key " + key + ")");
  }
}
