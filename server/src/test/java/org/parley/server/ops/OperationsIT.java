package org.parley.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.store.sqlite.SqliteStorage;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.Scrape;
import org.parley.server.testing.TestDevice;
import org.parley.server.testing.TestServer;

/** Health, readiness and metrics of a real relay, as a load balancer and Prometheus see them. */
class OperationsIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;
  private TestServer server;

  @BeforeEach
  void start() {
    server = TestServer.start(dir.resolve("data"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void metricsMoveWithRealTrafficAndAreServedOnTheAdminListenerOnly() throws Exception {
    TestDevice alice = TestDevice.registerPrimary(server, "+15550001501");
    TestDevice bob = TestDevice.registerPrimary(server, "+15550001502");
    try (RawClient sender = alice.connect(server);
        RawClient receiver = bob.connect(server)) {
      receiver.send(Request.newBuilder().setAck(Ack.getDefaultInstance()));
      assertThat(sender.call(bob.opaqueMessage()).getStatus()).isEqualTo(Status.OK);
      assertThat(sender.call(Request.newBuilder().setSendMessage(SendMessage.getDefaultInstance())).getStatus())
          .isEqualTo(Status.BAD_REQUEST);
      Push pushed = nextEnvelope(receiver);
      receiver.send(Request.newBuilder().setAck(Ack.newBuilder().addGuids(pushed.getEnvelope().getGuid())));

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        String metrics = Scrape.of(server);
        assertThat(Scrape.value(metrics, "parley_envelopes_committed_total")).isEqualTo(1);
        assertThat(Scrape.value(metrics, "parley_envelopes_delivered_total")).isEqualTo(1);
        assertThat(Scrape.value(metrics, "parley_envelopes_acked_total")).isEqualTo(1);
        assertThat(Scrape.value(metrics, "parley_commit_latency_seconds_count")).isEqualTo(1);
        assertThat(Scrape.value(metrics, "parley_requests_refused_total{status=\"BAD_REQUEST\"}")).isEqualTo(1);
        assertThat(Scrape.value(metrics, "parley_connections{kind=\"device\"}")).isEqualTo(2);
        assertThat(Scrape.value(metrics, "parley_queue_depth")).isEqualTo(0);
        assertThat(metrics).contains("jvm_memory_used_bytes");
      });
    }
    assertThat(get(devicesPort("/metrics")).statusCode())
        .as("traffic counters are not for strangers on the devices' port")
        .isEqualTo(404);
  }

  @Test
  void readinessFailsWhileTheStoreCannotCommitAndComesBack() throws Exception {
    assertThat(get(devicesPort("/health/ready")).statusCode()).isEqualTo(200);
    assertThat(get(devicesPort("/health/live")).statusCode()).isEqualTo(200);

    // Another process holding SQLite's write lock (a careless manual backup, a stuck sqlite3 shell).
    try (Connection intruder = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data").resolve(SqliteStorage.FILE_NAME));
        Statement statement = intruder.createStatement()) {
      statement.execute("BEGIN EXCLUSIVE");
      HttpResponse<String> ready = get(devicesPort("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("not ready").contains("store: no answer within");
      assertThat(get(server.server().adminUrl() + "/health/ready").statusCode()).isEqualTo(503);
      assertThat(get(devicesPort("/health/live")).statusCode()).as("alive all the same").isEqualTo(200);
      statement.execute("ROLLBACK");
    }
    await().atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(get(devicesPort("/health/ready")).statusCode()).isEqualTo(200));
  }

  @Test
  void theAdminApiWantsTheTokenFromTheOwnersOnlyFile() throws Exception {
    Path file = dir.resolve("data").resolve(AdminEndpointFile.NAME);
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    AdminEndpointFile.Endpoint endpoint = AdminEndpointFile.read(dir.resolve("data"));

    assertThat(get(endpoint.url() + "/admin/stats").statusCode()).isEqualTo(401);
    HttpResponse<String> wrong =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(endpoint.url() + "/admin/stats"))
                .header("Authorization", "Bearer " + "0".repeat(64))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrong.statusCode()).isEqualTo(401);
    HttpResponse<String> stats =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(endpoint.url() + "/admin/stats"))
                .header("Authorization", "Bearer " + endpoint.token())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(stats.statusCode()).isEqualTo(200);
    assertThat(stats.body()).contains("\"accounts\":0").contains("\"store\":\"sqlite\"");
    assertThat(get(devicesPort("/admin/stats")).statusCode()).as("not on the devices' port").isEqualTo(404);

    server.close();
    assertThat(file).as("a stopped server leaves no endpoint behind").doesNotExist();
  }

  private static Push nextEnvelope(RawClient client) {
    while (true) {
      Push push = client.nextPush();
      if (push.hasEnvelope()) {
        return push;
      }
    }
  }

  private String devicesPort(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
