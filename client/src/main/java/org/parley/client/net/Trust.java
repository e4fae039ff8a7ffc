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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.parley.client.ClientException;

/** TLS trust for a server whose certificate is not signed by a public authority (self-hosters). */
public final class Trust {
  private Trust() {}

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
