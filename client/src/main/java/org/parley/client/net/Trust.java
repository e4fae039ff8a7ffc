package org.parley.client.net;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.parley.client.ClientException;

/** TLS trust for a server whose certificate is not signed by a public authority (self-hosters). */
public final class Trust {
  private Trust() {}

  /**
   * For a ws:// server only: a context that cannot make TLS connections. The JDK's HTTP client sets
   * up a TLS context even for a plain connection (its protocols, cipher suites and the JDK's store
   * of public authorities), about a fifth of a short command's CPU; this one costs nothing.
   */
  public static SSLContext plaintextOnly() {
    return new SSLContext(new NoTls(), null, "none") {};
  }

  private static final class NoTls extends SSLContextSpi {
    private static UnsupportedOperationException refused() {
      return new UnsupportedOperationException("no TLS on a plain ws:// connection");
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
      throw refused();
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      throw refused();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      throw refused();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      throw refused();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      throw refused();
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      throw refused();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      throw refused();
    }
  }

  /** An SSL context trusting the PEM certificate(s) in the file; {@code null} path: JDK default. */
  public static SSLContext of(Path pem) {
    if (pem == null) {
      return null;
    }
    return of(read(pem), pem.toString());
  }

  /** The bytes of a PEM file, or a sentence saying why it cannot be read. */
  public static byte[] read(Path pem) {
    try {
      return Files.readAllBytes(pem);
    } catch (IOException e) {
      throw new ClientException("cannot read the certificate " + pem + ": " + e.getMessage(), e);
    }
  }

  /** An SSL context trusting the PEM certificate(s) given; {@code source} names them in errors. */
  public static SSLContext of(byte[] pem, String source) {
    try (InputStream in = new ByteArrayInputStream(pem)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("parley-" + i++, certificate);
      }
      if (i == 0) {
        throw new ClientException(source + " holds no PEM certificate");
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new ClientException("cannot use " + source + " as a trusted certificate: " + e.getMessage(), e);
    }
  }
}
