package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Status;

/**
 * Issue 11, behind a proxy: per-address limits follow the client the trusted proxy names (PROXY
 * protocol v1 or X-Forwarded-For), so users behind one proxy do not share one bucket; a client that
 * is not the trusted proxy cannot pick an address by sending those headers itself.
 */
class ProxyAbuseIT {
  @TempDir Path dir;

  private int phones;

  @Test
  void perAddressLimitsFollowTheClientATrustedProxyNamesAndOnlyThen() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"), "--trusted-proxy", "127.0.0.1/32", "--rate-sms-per-address", "2,2/1d")) {
      int port = server.port();
      // X-Forwarded-For from the trusted proxy: each client has its own two codes a day.
      assertThat(codes(port, "127.0.0.1", "", "X-Forwarded-For: 203.0.113.7")).isEqualTo(2);
      assertThat(codes(port, "127.0.0.1", "", "X-Forwarded-For: 198.51.100.1, 203.0.113.8")).isEqualTo(2);
      assertThat(codes(port, "127.0.0.1", "", "X-Forwarded-For: 203.0.113.7")).as("the first client again").isZero();

      // PROXY protocol v1 from the trusted proxy.
      String proxied = "PROXY TCP4 192.0.2.44 127.0.0.1 40000 " + port + "\r\n";
      assertThat(codes(port, "127.0.0.1", proxied)).isEqualTo(2);
      assertThat(codes(port, "127.0.0.1", proxied)).isZero();
      assertThat(codes(port, "127.0.0.1", "PROXY TCP4 192.0.2.45 127.0.0.1 40000 " + port + "\r\n")).isEqualTo(2);

      // PROXY protocol v2 (binary) from the trusted proxy.
      assertThat(codes(port, "127.0.0.1", proxyV2(new byte[] {(byte) 192, 0, 2, 77}, port))).isEqualTo(2);
      assertThat(codes(port, "127.0.0.1", proxyV2(new byte[] {(byte) 192, 0, 2, 77}, port))).isZero();

      // From a peer that is not the trusted proxy a PROXY header is not read: no connection.
      try (Stranger forged =
          Stranger.open(
              port,
              "127.0.0.4",
              ("PROXY TCP4 192.0.2.99 127.0.0.1 40000 " + port + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII),
              null)) {
        assertThat(forged.upgraded()).as(forged.status()).isFalse();
      }

      // From a peer that is not the trusted proxy the header is ignored: its own address counts.
      assertThat(codes(port, "127.0.0.3", "", "X-Forwarded-For: 203.0.113.50")).isEqualTo(2);
      assertThat(codes(port, "127.0.0.3", "", "X-Forwarded-For: 203.0.113.51")).as("a new header buys nothing").isZero();
    }
  }

  /**
   * Connections without credentials that a trusted proxy says come from one client: past that
   * client's cap the proxy is answered 503 with when to try again, in words and in Retry-After.
   */
  @Test
  void aClientOverItsCapBehindAProxyIsToldWhenToTryAgain() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"), "--trusted-proxy", "127.0.0.1/32", "--max-unauthenticated-per-address", "2")) {
      int port = server.port();
      try (Stranger first = Stranger.open(port, "127.0.0.1", new byte[0], null, "X-Forwarded-For: 203.0.113.60");
          Stranger second = Stranger.open(port, "127.0.0.1", new byte[0], null, "X-Forwarded-For: 203.0.113.60");
          Stranger third = Stranger.open(port, "127.0.0.1", new byte[0], null, "X-Forwarded-For: 203.0.113.60")) {
        assertThat(first.upgraded()).as(first.status()).isTrue();
        assertThat(second.upgraded()).as(second.status()).isTrue();
        assertThat(third.head()).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 10");
        assertThat(third.readRest()).contains("too many connections without credentials from your address; try again in 10 s");
      }
    }
  }

  /** A PROXY protocol v2 header: a TCP over IPv4 connection from {@code client}:40000 to the server. */
  private static byte[] proxyV2(byte[] client, int port) {
    java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(16 + 12);
    header.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    header.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
    header.put(client).put(new byte[] {127, 0, 0, 1}).putShort((short) 40000).putShort((short) port);
    return header.array();
  }

  private int codes(int port, String source, String preamble, String... headers) throws Exception {
    return codes(port, source, preamble.getBytes(java.nio.charset.StandardCharsets.US_ASCII), headers);
  }

  /** Asks for codes for fresh numbers on one connection until refused (at most 3); how many were sent. */
  private int codes(int port, String source, byte[] preamble, String... headers) throws Exception {
    try (Stranger client = Stranger.open(port, source, preamble, null, headers)) {
      assertThat(client.upgraded()).as(client.status()).isTrue();
      client.hello();
      int sent = 0;
      for (int i = 0; i < 3; i++) {
        var answer =
            client.call(
                Request.newBuilder()
                    .setRequestCode(RequestCode.newBuilder().setPhone(String.format("+1555016%04d", ++phones))));
        if (answer.getStatus() != Status.OK) {
          assertThat(answer.getStatus()).isEqualTo(Status.RATE_LIMITED);
          assertThat(answer.getMessage()).contains("sent for your address today");
          break;
        }
        sent++;
      }
      return sent;
    }
  }
}
