package org.parley.client.net;

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
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("parley-" + i++, certificate);
      }
      if (i == 0) {
        throw new ClientException(pem + " holds no PEM certificate");
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new ClientException("cannot use " + pem + " as a trusted certificate: " + e.getMessage(), e);
    }
  }
}
