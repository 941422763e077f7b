package io.overlaynet.etcd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads the TLS files of either transport: a JDK {@link SSLContext} for the JSON gateway, and the
 * certificates and key that {@link JetcdStore} hands to jetcd's netty context for gRPC. Internal.
 * No jetcd type appears here: the HTTP transport uses this class without jetcd on the class path.
 *
 * <p>netty (without BouncyCastle) reads only PKCS#8 keys, while etcd's documentation (cfssl) and
 * {@code openssl genrsa} produce PKCS#1 ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY})
 * files that flanneld accepts; those are re-wrapped as PKCS#8 here, so the same files work.
 */
final class TlsSupport {

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

  /** rsaEncryption, 1.2.840.113549.1.1.1, with its NULL parameters, as DER. */
  private static final byte[] RSA_ALGORITHM = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
  };

  /** id-ecPublicKey, 1.2.840.10045.2.1, as a DER OID. */
  private static final byte[] EC_PUBLIC_KEY_OID = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };

  private TlsSupport() {}

  /**
   * Returns a JDK TLS context that trusts the options' CA file (the JDK's trust store without one)
   * and presents the client certificate if both cert and key files are set.
   *
   * @throws IllegalArgumentException if a file cannot be read or parsed
   */
  static SSLContext jdkContext(EtcdOptions options) {
    X509Certificate[] trusted = options.caFile().map(TlsSupport::readCertificates).orElse(null);
    X509Certificate[] chain = options.certFile().map(TlsSupport::readCertificates).orElse(null);
    PrivateKey key = options.keyFile().map(TlsSupport::readPrivateKey).orElse(null);
    try {
      TrustManager[] trustManagers = null;
      if (trusted != null) {
        KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
        trustStore.load(null, null);
        for (int i = 0; i < trusted.length; i++) {
          trustStore.setCertificateEntry("ca-" + i, trusted[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore);
        trustManagers = tmf.getTrustManagers();
      }
      KeyManager[] keyManagers = null;
      if (chain != null && key != null) {
        char[] none = new char[0];
        KeyStore keyStore = KeyStore.getInstance(KeyStore.getDefaultType());
        keyStore.load(null, null);
        keyStore.setKeyEntry("client", key, none, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore, none);
        keyManagers = kmf.getKeyManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers, trustManagers, null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot build the etcd TLS context from " + options + ": " + e, e);
    }
  }

  /**
   * Reads every certificate of a PEM file.
   *
   * @throws IllegalArgumentException if the file cannot be read or holds no certificate
   */
  static X509Certificate[] readCertificates(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends java.security.cert.Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("no certificate in " + file);
      }
      return certs.stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read certificates from " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a private key from a PEM file in PKCS#8, PKCS#1 (RSA) or SEC1 (EC) form.
   *
   * @throws IllegalArgumentException if the file cannot be read, is encrypted or holds no key
   */
  static PrivateKey readPrivateKey(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the etcd TLS key " + file + ": " + e.getMessage(), e);
    }
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      try {
        switch (type) {
          case "PRIVATE KEY":
            return pkcs8(der, file);
          case "RSA PRIVATE KEY":
            return pkcs8(wrapPkcs8(RSA_ALGORITHM, der), file);
          case "EC PRIVATE KEY":
            return pkcs8(wrapPkcs8(ecAlgorithm(der), der), file);
          case "ENCRYPTED PRIVATE KEY":
            throw new IllegalArgumentException("the etcd TLS key " + file
                + " is encrypted; decrypt it: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-plain.pem");
          default:
            // e.g. "EC PARAMETERS" that openssl writes before an EC key: skip.
        }
      } catch (IndexOutOfBoundsException e) {
        throw new IllegalArgumentException("malformed " + type + " in " + file, e);
      }
    }
    throw new IllegalArgumentException("no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) in " + file);
  }

  private static PrivateKey pkcs8(byte[] der, Path file) {
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // Try the next algorithm: PKCS#8 names it inside, but KeyFactory wants it up front.
      }
    }
    throw new IllegalArgumentException("unsupported or malformed private key in " + file);
  }

  /** PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING key }. */
  private static byte[] wrapPkcs8(byte[] algorithm, byte[] key) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(algorithm);
    body.writeBytes(tlv(0x04, key));
    return tlv(0x30, body.toByteArray());
  }

  /**
   * The AlgorithmIdentifier for a SEC1 key: id-ecPublicKey with the curve OID taken from the
   * key's {@code [0] parameters} field (ECPrivateKey ::= SEQUENCE { version, privateKey, [0], [1] }).
   */
  private static byte[] ecAlgorithm(byte[] sec1) {
    int[] pos = {0};
    expectTag(sec1, pos, 0x30);
    readLength(sec1, pos);
    while (pos[0] < sec1.length) {
      int tag = sec1[pos[0]++] & 0xff;
      int len = readLength(sec1, pos);
      if (tag == 0xa0) {
        byte[] curve = new byte[len];
        System.arraycopy(sec1, pos[0], curve, 0, len);
        ByteArrayOutputStream alg = new ByteArrayOutputStream();
        alg.writeBytes(EC_PUBLIC_KEY_OID);
        alg.writeBytes(curve);
        return tlv(0x30, alg.toByteArray());
      }
      pos[0] += len;
    }
    throw new IllegalArgumentException("EC PRIVATE KEY without curve parameters");
  }

  private static void expectTag(byte[] der, int[] pos, int tag) {
    if ((der[pos[0]++] & 0xff) != tag) {
      throw new IllegalArgumentException("unexpected DER tag");
    }
  }

  private static int readLength(byte[] der, int[] pos) {
    int first = der[pos[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int n = first & 0x7f;
    int len = 0;
    for (int i = 0; i < n; i++) {
      len = (len << 8) | (der[pos[0]++] & 0xff);
    }
    return len;
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = content.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }
}
