package org.parley.client;

import java.time.Clock;
import javax.net.ssl.SSLContext;

/**
 * How a device reaches the world: the clock it reads and, for a server with a self-signed
 * certificate, the TLS trust to use ({@code null}: the JDK's default trust).
 */
public record ClientConfig(Clock clock, SSLContext ssl) {
  public static ClientConfig defaults() {
    return new ClientConfig(Clock.systemUTC(), null);
  }
}
