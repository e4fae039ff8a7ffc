package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code parley server} with a primary-inactivity window of seconds: the companion is
 * warned, then unlinked, and from then on refuses to send and says how to link again.
 */
class InactivityProcessIT {
  static final String ALICE = "+15550001001";
  static final String BOB = "+15550001002";

  @TempDir Path dir;

  @Test
  void theCompanionOfAnIdlePrimaryIsWarnedThenUnlinkedAndRefusesToSend() throws Exception {
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"), "--primary-inactivity", "4s")) {
      Cli cli = new Cli(dir);
      for (String[] account : List.of(new String[] {"alice", ALICE}, new String[] {"bob", BOB})) {
        assertThat(cli.parley(account[0], "register", "--server", server.url(), "--phone", account[1]).code()).isZero();
        assertThat(cli.parley(account[0], "verify", server.codeFor(account[1])).code()).isZero();
      }
      Path png = dir.resolve("qr.png");
      CompletableFuture<Cli.Run> linking =
          CompletableFuture.supplyAsync(
              () -> cli.parley("laptop", "link", "--server", server.url(), "--qr-png", png.toString()),
              task -> Thread.ofPlatform().daemon().start(task));
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(png));
      assertThat(cli.parley("alice", "add-device", "--qr-png", png.toString()).code()).isZero();
      assertThat(linking.get(30, TimeUnit.SECONDS).code()).isZero();
      // From here on the primary stays away.

      Cli.Run waited = cli.parley("laptop", "receive", "--json", "--timeout", "20s");
      assertThat(waited.code()).as("receive exits non-zero once unlinked").isEqualTo(1);
      List<JsonNode> events = waited.json();
      assertThat(events).anySatisfy(e -> {
        assertThat(e.get("type").asText()).isEqualTo("warning");
        assertThat(e.get("code").asText()).isEqualTo("primary-inactive");
        assertThat(e.get("unlinkAt").asLong()).isPositive();
      });
      assertThat(events).last().satisfies(e -> {
        assertThat(e.get("type").asText()).isEqualTo("unlinked");
        assertThat(e.get("reason").asText()).isEqualTo("primary-inactive");
      });

      Cli.Run refused = cli.parley("laptop", "send", "--to", BOB, "anyone there?");
      assertThat(refused.code()).isEqualTo(1);
      assertThat(refused.err()).contains("unlinked (primary-inactive)").contains("parley link");
    }
  }
}
