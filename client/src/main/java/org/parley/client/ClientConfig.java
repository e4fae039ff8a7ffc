package org.parley.client;

import java.time.Clock;
import javax.net.ssl.SSLContext;
import org.parley.client.net.Trust;

/**
 * How a device reaches the world: the clock it reads and, for a server with a self-signed
 * certificate, the TLS trust to use ({@code null}: what the profile remembers, else the JDK's
 * default trust).
 *
 * @param trustedCertificate the PEM that {@code ssl} was made from, if any: the profile remembers
 *     it, so later commands need not be told again
 */
public record ClientConfig(Clock clock, SSLContext ssl, byte[] trustedCertificate) {
  public ClientConfig(Clock clock, SSLContext ssl) {
    this(clock, ssl, null);
  }

  public static ClientConfig defaults() {
    return new ClientConfig(Clock.systemUTC(), null);
  }

  /** Trusts the PEM certificate(s) given, and has the profile remember them. */
  public static ClientConfig trusting(Clock clock, byte[] pem, String source) {
    return new ClientConfig(clock, pem == null ? null : Trust.of(pem, source), pem);
  }
}
