package org.parley.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.GetKeyCounts;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;
import org.parley.server.testing.TestServer;

/**
 * DESIGN.md §11 over real sockets: malformed input of every kind gets a clear answer (an HTTP
 * status, a BAD_REQUEST, a WebSocket close code), never silence, and it costs nothing to anyone
 * else: a bystander connection is answered after every abuse.
 */
class RelayRobustnessIT {
  private static final int MAX_FRAME = 64 * 1024;
  /** Malformed frames one connection may send before it is closed (ConnectionHandler). */
  private static final int TOLERATED_MALFORMED = 16;
  private static final byte[] NOT_A_FRAME = {0x0a, 0x7f, 0x01};

  @TempDir Path dir;
  private final AtomicInteger phones = new AtomicInteger();
  private TestServer server;
  private RawClient bystander;

  @BeforeEach
  void startServerAndBystander() {
    server =
        TestServer.start(
            dir.resolve("server"),
            Clock.systemUTC(),
            // The bystander is a stranger's connection kept for the whole test: it outlives the
            // short deadline of connections without credentials (ConnectionFloodAbuseIT tests that).
            options ->
                options.limits(
                    Limits.defaults().toBuilder()
                        .maxFrameBytes(MAX_FRAME)
                        .unauthenticatedTimeout(java.time.Duration.ofMinutes(10))
                        .build()));
    bystander = RawClient.anonymous(server.url());
    assertBystanderIsAnswered();
  }

  @AfterEach
  void stop() {
    bystander.close();
    server.close();
  }

  @Test
  void garbageOnTheRawPortIsAnsweredWithHttp400AndTheConnectionClosed() throws IOException {
    assertThat(rawExchange("\u0016\u0003\u0001\u0000 garbage where a request line belongs\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(rawExchange("GET /v1/websocket HTTP/1.1\r\nHost: x\r\nbroken header line\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(rawExchange("GARBAGE\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(rawExchange("\u0000\u0001\u0002\u0003 binary without a line end")).startsWith("HTTP/1.1 400");
    assertBystanderIsAnswered();
  }

  @Test
  void aMalformedFrameIsRefusedWithBadRequestAndTheConnectionStaysUsable() {
    try (RawClient client = RawClient.anonymous(server.url())) {
      client.sendBinary(NOT_A_FRAME);
      assertThat(client.response(0).getStatus()).isEqualTo(Status.BAD_REQUEST);
      client.sendText("{\"request\": \"code\"}");
      assertThat(client.response(0).getStatus()).isEqualTo(Status.BAD_REQUEST);

      assertThat(client.call(requestCode()).getStatus()).isEqualTo(Status.OK);
      assertThat(client.isOpen()).isTrue();
    }
    assertBystanderIsAnswered();
  }

  @Test
  void aConnectionThatKeepsSendingGarbageIsClosedWithPolicyViolation() {
    try (RawClient client = RawClient.anonymous(server.url())) {
      for (int i = 0; i <= TOLERATED_MALFORMED; i++) {
        client.sendBinary(NOT_A_FRAME);
      }
      for (int i = 0; i <= TOLERATED_MALFORMED; i++) {
        assertThat(client.response(0).getStatus()).isEqualTo(Status.BAD_REQUEST);
      }
      assertThat(client.awaitClose().status()).isEqualTo(1008);
    }
    assertBystanderIsAnswered();
  }

  @Test
  void anOversizeFrameClosesTheSocketWithMessageTooBig() {
    try (RawClient client = RawClient.anonymous(server.url())) {
      client.sendBinary(new byte[MAX_FRAME + 1]);

      assertThat(client.awaitClose().status()).isEqualTo(1009);
    }
    assertBystanderIsAnswered();
  }

  @Test
  void anOversizeMessageSentInSmallFragmentsClosesTheSocketWithMessageTooBig() {
    try (RawClient client = RawClient.anonymous(server.url())) {
      client.sendFragmented(new byte[MAX_FRAME / 2], new byte[MAX_FRAME / 2], new byte[64]);

      assertThat(client.awaitClose().status()).isEqualTo(1009);
    }
    assertBystanderIsAnswered();
  }

  @Test
  void aRequestNeedingCredentialsOnAnAnonymousSocketIsUnauthenticated() {
    try (RawClient client = RawClient.anonymous(server.url())) {
      Response counts = client.call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance()));
      Response send = client.call(Request.newBuilder().setSendMessage(SendMessage.getDefaultInstance()));

      assertThat(counts.getStatus()).isEqualTo(Status.UNAUTHENTICATED);
      assertThat(send.getStatus()).isEqualTo(Status.UNAUTHENTICATED);
      assertThat(client.call(requestCode()).getStatus()).as("still usable").isEqualTo(Status.OK);
    }
    assertBystanderIsAnswered();
  }

  @Test
  void aWrongCredentialIsRefusedWithHttp401AtTheUpgrade() {
    TestDevice primary = TestDevice.registerPrimary(server, nextPhone());

    assertUpgradeRefused(RawClient.authorization(primary.account(), 1, new byte[32]));
    assertUpgradeRefused(RawClient.authorization(UUID.randomUUID(), 1, primary.keys().credential()));
    assertUpgradeRefused("Basic not-base64-at-all");
    try (RawClient device = primary.connect(server)) {
      Response counts = device.call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance()));
      assertThat(counts.getStatus()).as("the right credential works").isEqualTo(Status.OK);
    }
    assertBystanderIsAnswered();
  }

  @Test
  void theOldPrimaryOfANumberRegisteredAgainIsToldWhyInsteadOfBeingRefused() {
    String phone = nextPhone();
    TestDevice lost = TestDevice.registerPrimary(server, phone);
    TestDevice replacement = TestDevice.registerPrimary(server, phone);
    assertThat(replacement.account()).isEqualTo(lost.account());

    try (RawClient old = lost.connect(server)) {
      Push push = old.nextPush();
      assertThat(push.getUnlinked().getReason()).isEqualTo(UnlinkReason.REREGISTERED);
      Response counts = old.call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance()));
      assertThat(counts.getStatus()).isEqualTo(Status.UNLINKED);
      assertThat(counts.getMessage()).contains("registered again");
    }
    assertBystanderIsAnswered();
  }

  private void assertUpgradeRefused(String authorization) {
    assertThatThrownBy(() -> RawClient.connect(server.url(), "/v1/websocket", authorization).close())
        .isInstanceOfSatisfying(RawClient.UpgradeRefused.class, refused -> assertThat(refused.status()).isEqualTo(401));
  }

  /** Whatever else happened, the bystander's next request is answered on its still open socket. */
  private void assertBystanderIsAnswered() {
    assertThat(bystander.call(requestCode()).getStatus()).isEqualTo(Status.OK);
    assertThat(bystander.isOpen()).isTrue();
  }

  /** Writes bytes to a fresh TCP connection and reads until the server closes it. */
  private String rawExchange(String bytes) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout((int) RawClient.TIMEOUT.toMillis());
      socket.getOutputStream().write(bytes.getBytes(ISO_8859_1));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), ISO_8859_1);
    }
  }

  private Request.Builder requestCode() {
    return Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(nextPhone()));
  }

  private String nextPhone() {
    return String.format("+1555010%04d", phones.incrementAndGet());
  }
}
