package io.overlaynet.etcd;

import io.overlaynet.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * jetcd-core, the gRPC transport's optional dependency. overlay-store-etcd declares it
 * {@code <optional>}: an application that asks for {@link EtcdOptions.Transport#GRPC} declares it
 * itself, and one that keeps the default HTTP transport never has it on its class path. This
 * class is the only way to {@link JetcdStore}: it checks first, so a missing jar is a clear error
 * instead of a {@link NoClassDefFoundError} from deep inside. Internal.
 */
final class Jetcd {

  /** A class of jetcd-core's that {@link JetcdStore} needs. */
  private static final String PROBE = "io.etcd.jetcd.Client";

  /** The Maven coordinates to add, with the version this module is built and tested with. */
  static final String ARTIFACT = "io.etcd:jetcd-core:" + version();

  private Jetcd() {}

  /** Returns whether jetcd-core can be loaded by this module's class loader. */
  static boolean isAvailable() {
    try {
      Class.forName(PROBE, false, Jetcd.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Creates the gRPC store.
   *
   * @throws StoreException if jetcd-core is not on the class path; the message names the
   *     dependency to add
   */
  static EtcdStore connect(EtcdOptions options) {
    if (!isAvailable()) {
      throw new StoreException("the etcd gRPC transport (EtcdOptions.Transport.GRPC) needs jetcd-core, an optional"
          + " dependency of overlay-store-etcd that is not on the class path: add the dependency " + ARTIFACT
          + ", or use the default HTTP transport (etcd's v3 JSON gateway)");
    }
    return JetcdStore.create(options);
  }

  /** The jetcd version of the build, from a resource the build fills in (src/main/resources). */
  private static String version() {
    Properties p = new Properties();
    try (InputStream in = Jetcd.class.getResourceAsStream("jetcd.properties")) {
      if (in == null) {
        throw new IllegalStateException("io/overlaynet/etcd/jetcd.properties is missing from overlay-store-etcd");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("jetcd-core.version");
  }
}
