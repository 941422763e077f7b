package io.overlaynet.etcd;

import static com.google.common.base.Preconditions.checkArgument;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach etcd: endpoints, the flannel key prefix, TLS files, credentials and timeouts.
 * Immutable; start from {@link #DEFAULT} or {@link #builder()}.
 *
 * <pre>{@code
 * EtcdOptions options = EtcdOptions.builder()
 *     .withEndpoints("https://10.0.0.1:2379,https://10.0.0.2:2379")   // flanneld's --etcd-endpoints
 *     .withTls(Path.of("ca.pem"), Path.of("client.pem"), Path.of("client-key.pem"))
 *     .withCredentials("flannel", "secret")
 *     .withRequestTimeout(Duration.ofSeconds(5))
 *     .build();
 * try (EtcdStore store = EtcdStore.connect(options)) { ... }
 * }</pre>
 *
 * <p><b>TLS</b> follows flanneld ({@code registry.go newTlsConfig}): a client certificate is used
 * only when both {@link #certFile()} and {@link #keyFile()} are set; {@link #caFile()} is optional
 * (the JDK trust store is used without it). With {@code https://} endpoints the connection is TLS
 * even without a client certificate (etcd without {@code --client-cert-auth}); with {@code http://}
 * endpoints and only a CA file, the CA file is ignored with a warning, as flanneld does. The key
 * file may be PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}).
 *
 * <p><b>Key prefix.</b> The store itself works on full keys; {@link #keyPrefix()} only carries
 * flannel's {@code --etcd-prefix} for callers such as the subnet manager.
 *
 * <p><b>Transport.</b> By default the store speaks etcd's v3 JSON gateway (HTTP/1.1 on the same
 * client port as gRPC, served by etcd 3.4 and later unless started with
 * {@code --enable-grpc-gateway=false}): the same requests and data as gRPC, without loading netty
 * and gRPC into the JVM, which is most of an agent's start-up time and memory. {@link
 * Transport#GRPC} uses jetcd instead. Both pass the same tests; the stored keys and values are the
 * same either way.
 */
public final class EtcdOptions {

  /** flanneld's default {@code --etcd-prefix}. */
  public static final String DEFAULT_KEY_PREFIX = "/coreos.com/network";

  /** The defaults: {@code http://127.0.0.1:2379}, prefix {@code /coreos.com/network}, 5 s timeouts. */
  public static final EtcdOptions DEFAULT = new Builder().build();

  private final List<URI> endpoints;
  private final String keyPrefix;
  private final Path caFile;
  private final Path certFile;
  private final Path keyFile;
  private final String username;
  private final String password;
  private final Duration requestTimeout;
  private final Duration connectTimeout;
  private final Transport transport;

  /** How the store talks to etcd; see the class comment. */
  public enum Transport {
    /** etcd's v3 JSON gateway over HTTP/1.1 (the default): small and quick to start. */
    HTTP,
    /** gRPC through jetcd: for an etcd that serves no gateway ({@code --enable-grpc-gateway=false}). */
    GRPC
  }

  private EtcdOptions(Builder b) {
    this.endpoints = List.copyOf(b.endpoints);
    this.keyPrefix = b.keyPrefix;
    this.caFile = b.caFile;
    this.certFile = b.certFile;
    this.keyFile = b.keyFile;
    this.username = b.username;
    this.password = b.password;
    this.requestTimeout = b.requestTimeout;
    this.connectTimeout = b.connectTimeout;
    this.transport = b.transport;
  }

  /** Returns a builder with the defaults of {@link #DEFAULT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding these options, to change some of them. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Returns the etcd client URLs, e.g. {@code [http://127.0.0.1:2379]}. */
  public List<URI> endpoints() {
    return endpoints;
  }

  /** Returns flannel's key prefix (no trailing slash), e.g. {@code /coreos.com/network}. */
  public String keyPrefix() {
    return keyPrefix;
  }

  /** Returns the CA bundle that verifies the server certificate, if set. */
  public Optional<Path> caFile() {
    return Optional.ofNullable(caFile);
  }

  /** Returns the client certificate (PEM), if set. */
  public Optional<Path> certFile() {
    return Optional.ofNullable(certFile);
  }

  /** Returns the client certificate's private key (PEM), if set. */
  public Optional<Path> keyFile() {
    return Optional.ofNullable(keyFile);
  }

  /** Returns the etcd user name, if set. */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /** Returns the etcd password, if set. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** Returns the longest time one store call may take before it fails as unavailable. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** Returns the longest time one connection attempt to an endpoint may take. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Returns how the store talks to etcd (default {@link Transport#HTTP}). */
  public Transport transport() {
    return transport;
  }

  /** Returns whether the connection uses TLS ({@code https://} endpoints). */
  public boolean usesTls() {
    return "https".equals(endpoints.get(0).getScheme());
  }

  /** Returns whether a client certificate is presented (both cert and key files are set). */
  public boolean usesClientCertificate() {
    return certFile != null && keyFile != null;
  }

  /** Returns a copy with other endpoints; see {@link Builder#withEndpoints(String...)}. */
  public EtcdOptions withEndpoints(String... endpoints) {
    return toBuilder().withEndpoints(endpoints).build();
  }

  /** Returns a copy with another key prefix; see {@link Builder#withKeyPrefix}. */
  public EtcdOptions withKeyPrefix(String keyPrefix) {
    return toBuilder().withKeyPrefix(keyPrefix).build();
  }

  /** Returns a copy with TLS files; see {@link Builder#withTls}. */
  public EtcdOptions withTls(Path caFile, Path certFile, Path keyFile) {
    return toBuilder().withTls(caFile, certFile, keyFile).build();
  }

  /** Returns a copy with credentials; see {@link Builder#withCredentials}. */
  public EtcdOptions withCredentials(String username, String password) {
    return toBuilder().withCredentials(username, password).build();
  }

  /** Returns a copy with another request timeout; see {@link Builder#withRequestTimeout}. */
  public EtcdOptions withRequestTimeout(Duration timeout) {
    return toBuilder().withRequestTimeout(timeout).build();
  }

  /** Returns a copy with another connect timeout; see {@link Builder#withConnectTimeout}. */
  public EtcdOptions withConnectTimeout(Duration timeout) {
    return toBuilder().withConnectTimeout(timeout).build();
  }

  /** Returns a copy with another transport; see {@link Builder#withTransport}. */
  public EtcdOptions withTransport(Transport transport) {
    return toBuilder().withTransport(transport).build();
  }

  /** Returns a description without the password. */
  @Override
  public String toString() {
    return "EtcdOptions{endpoints=" + endpoints
        + ", keyPrefix=" + keyPrefix
        + (caFile != null ? ", caFile=" + caFile : "")
        + (certFile != null ? ", certFile=" + certFile : "")
        + (keyFile != null ? ", keyFile=" + keyFile : "")
        + (username != null ? ", username=" + username + ", password=***" : "")
        + ", requestTimeout=" + requestTimeout
        + ", connectTimeout=" + connectTimeout
        + ", transport=" + transport + "}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EtcdOptions other
        && endpoints.equals(other.endpoints)
        && keyPrefix.equals(other.keyPrefix)
        && Objects.equals(caFile, other.caFile)
        && Objects.equals(certFile, other.certFile)
        && Objects.equals(keyFile, other.keyFile)
        && Objects.equals(username, other.username)
        && Objects.equals(password, other.password)
        && requestTimeout.equals(other.requestTimeout)
        && connectTimeout.equals(other.connectTimeout)
        && transport == other.transport;
  }

  @Override
  public int hashCode() {
    return Objects.hash(endpoints, keyPrefix, caFile, certFile, keyFile, username, password,
        requestTimeout, connectTimeout, transport);
  }

  /** Builds {@link EtcdOptions}; every setter is named {@code withX}. */
  public static final class Builder {
    private List<URI> endpoints = List.of(URI.create("http://127.0.0.1:2379"));
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Path caFile;
    private Path certFile;
    private Path keyFile;
    private String username;
    private String password;
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Transport transport = Transport.HTTP;

    private Builder() {}

    private Builder(EtcdOptions o) {
      endpoints = o.endpoints;
      keyPrefix = o.keyPrefix;
      caFile = o.caFile;
      certFile = o.certFile;
      keyFile = o.keyFile;
      username = o.username;
      password = o.password;
      requestTimeout = o.requestTimeout;
      connectTimeout = o.connectTimeout;
      transport = o.transport;
    }

    /**
     * Sets the etcd client URLs. Each argument may hold several URLs separated by commas, as
     * flanneld's {@code --etcd-endpoints} does; every URL needs a scheme ({@code http} or
     * {@code https}), a host and a port, and all must use the same scheme.
     *
     * @throws IllegalArgumentException if no URL is given or one is malformed
     */
    public Builder withEndpoints(String... endpoints) {
      List<URI> parsed = new ArrayList<>();
      for (String arg : endpoints) {
        for (String part : arg.split(",")) {
          String url = part.trim();
          if (!url.isEmpty()) {
            parsed.add(parseEndpoint(url));
          }
        }
      }
      checkArgument(!parsed.isEmpty(), "no etcd endpoint given: %s", List.of(endpoints));
      String scheme = parsed.get(0).getScheme();
      for (URI uri : parsed) {
        checkArgument(uri.getScheme().equals(scheme),
            "etcd endpoints mix http and https: %s", parsed);
      }
      this.endpoints = List.copyOf(parsed);
      return this;
    }

    /** Sets the etcd client URLs; see {@link #withEndpoints(String...)}. */
    public Builder withEndpoints(List<String> endpoints) {
      return withEndpoints(endpoints.toArray(String[]::new));
    }

    /**
     * Sets flannel's key prefix (default {@code /coreos.com/network}); a trailing slash is removed.
     *
     * @throws IllegalArgumentException if the prefix does not start with {@code /}
     */
    public Builder withKeyPrefix(String keyPrefix) {
      checkArgument(keyPrefix.startsWith("/"), "key prefix must start with '/': %s", keyPrefix);
      String p = keyPrefix;
      while (p.length() > 1 && p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      this.keyPrefix = p;
      return this;
    }

    /**
     * Sets the TLS files (PEM); each may be {@code null}. The client certificate is presented only
     * when both {@code certFile} and {@code keyFile} are given.
     *
     * @throws IllegalArgumentException at {@link #build()} if only one of cert and key is given
     */
    public Builder withTls(Path caFile, Path certFile, Path keyFile) {
      this.caFile = caFile;
      this.certFile = certFile;
      this.keyFile = keyFile;
      return this;
    }

    /**
     * Sets the etcd user and password ({@code --etcd-username}, {@code --etcd-password}); both
     * {@code null} means no authentication.
     *
     * @throws IllegalArgumentException if only one of them is {@code null} or the user is empty
     */
    public Builder withCredentials(String username, String password) {
      checkArgument((username == null) == (password == null),
          "etcd username and password go together (username %s)", username);
      checkArgument(username == null || !username.isEmpty(), "empty etcd username");
      this.username = username;
      this.password = password;
      return this;
    }

    /**
     * Sets how long one call may take before it fails with
     * {@link io.overlaynet.store.StoreUnavailableException} (default 5 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder withRequestTimeout(Duration timeout) {
      checkArgument(!timeout.isNegative() && !timeout.isZero(), "request timeout must be positive: %s", timeout);
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * Sets how long one connection attempt may take (default 5 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder withConnectTimeout(Duration timeout) {
      checkArgument(!timeout.isNegative() && !timeout.isZero(), "connect timeout must be positive: %s", timeout);
      this.connectTimeout = timeout;
      return this;
    }

    /** Sets how the store talks to etcd (default {@link Transport#HTTP}). */
    public Builder withTransport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * Returns the options.
     *
     * @throws IllegalArgumentException if a client certificate is given without its key (or the
     *     reverse), or with {@code http://} endpoints
     */
    public EtcdOptions build() {
      checkArgument((certFile == null) == (keyFile == null),
          "a TLS client certificate needs both the cert file and the key file (cert %s, key %s)",
          certFile, keyFile);
      if (certFile != null) {
        checkArgument("https".equals(endpoints.get(0).getScheme()),
            "a TLS client certificate is configured but the etcd endpoints use http: %s (use https://)",
            endpoints);
      }
      return new EtcdOptions(this);
    }

    private static URI parseEndpoint(String url) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("malformed etcd endpoint: " + url, e);
      }
      checkArgument("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()),
          "etcd endpoint needs http:// or https://: %s", url);
      checkArgument(uri.getHost() != null && uri.getPort() > 0,
          "etcd endpoint needs a host and a port: %s", url);
      checkArgument(uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"),
          "etcd endpoint must not have a path: %s", url);
      return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }
  }
}
