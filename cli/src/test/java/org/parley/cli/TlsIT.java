package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN.md §11: TLS when given a certificate; plain WebSocket only on loopback unless told. */
class TlsIT {
  static final String ALICE = "+15550001101";
  static final String BOB = "+15550001102";

  @TempDir Path dir;

  @Test
  void withACertificateTheServerSpeaksWssAndProfilesThatWereToldToTrustItTalk() throws Exception {
    Path certificate = resource("tls/certificate.pem");
    Path key = resource("tls/key.pem");
    try (ServerProcess server =
        ServerProcess.start(dir.resolve("data"), "--tls-cert", certificate.toString(), "--tls-key", key.toString())) {
      assertThat(server.url()).startsWith("wss://127.0.0.1:");
      Cli cli = new Cli(dir);
      String trust = "--trust-cert=" + certificate;
      for (String[] account : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
        assertThat(cli.parley(account[0], trust, "register", "--server", server.url(), "--phone", account[1]).code()).isZero();
        Cli.Run verified = cli.parley(account[0], trust, "verify", server.codeFor(account[1]));
        assertThat(verified.code()).as(verified.err()).isZero();
      }
      // The profile remembers the certificate it was told to trust at registration.
      assertThat(cli.parley("alice", "send", "--to", BOB, "over TLS").code()).isZero();
      assertThat(cli.parley("bob", "receive", "--json", "--timeout", "1s").json())
          .extracting(m -> m.get("body").asText()).containsExactly("over TLS");

      Cli.Run untrusted = cli.parley("carol", "register", "--server", server.url(), "--phone", "+15550000903");
      assertThat(untrusted.code()).isEqualTo(1);
      assertThat(untrusted.err()).contains("cannot connect");
    }
  }

  @Test
  void plainWebSocketOnAPublicAddressIsRefusedWithAReason() {
    Cli.Run refused = new Cli(dir).parley("x", "server", "--data", dir.resolve("data").toString(), "--bind", "0.0.0.0", "--port", "0");
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("refusing to serve unencrypted ws://").contains("--tls-cert");
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(TlsIT.class.getClassLoader().getResource(name).toURI());
  }
}
