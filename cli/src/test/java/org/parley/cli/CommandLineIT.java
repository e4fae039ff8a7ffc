package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/** The command contract of README.md, commands, run as a user would, with a real server behind it. */
@WithTestServer
class CommandLineIT {
  static final String ALICE = "+15550000501";
  static final String BOB = "+15550000502";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  /**
   * The messages a profile receives, over as many {@code receive --timeout 1s} as it takes until
   * their bodies are {@code bodies}: under load one receive may end before the message arrives.
   */
  List<JsonNode> receiveMessages(String profile, String... bodies) {
    List<JsonNode> messages = new ArrayList<>();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      Cli.Run run = parley(profile, "receive", "--timeout", "1s", "--json");
      assertThat(run.code()).as(run.err()).isZero();
      run.json().stream().filter(m -> "message".equals(m.get("type").asText())).forEach(messages::add);
      assertThat(messages).extracting(m -> m.get("body").asText()).containsExactly(bodies);
    });
    return messages;
  }

  Cli.Run parley(String profile, String... args) {
    return new Cli(dir).parley(profile, args);
  }

  void registerAs(String profile, String phone) {
    assertThat(parley(profile, "register", "--server", server.url(), "--phone", phone).code()).isZero();
    Cli.Run verified = parley(profile, "verify", server.sms().codeFor(phone));
    assertThat(verified.code()).as(verified.err()).isZero();
  }

  @Test
  void registerSendReceiveAndReadTheHistoryAsJson() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);

    Cli.Run sent = parley("alice", "send", "--to", BOB, "hello from the command line");
    assertThat(sent.code()).as(sent.err()).isZero();

    JsonNode message = receiveMessages("bob", "hello from the command line").getFirst();
    assertThat(message.get("type").asText()).isEqualTo("message");
    assertThat(message.get("from").asText()).isEqualTo(ALICE);
    assertThat(message.get("fromDevice").asInt()).isEqualTo(1);
    assertThat(message.get("body").asText()).isEqualTo("hello from the command line");
    assertThat(message.get("group").isNull()).isTrue();
    assertThat(message.get("timestamp").asLong()).isPositive();
    assertThat(message.get("id").asText()).isNotBlank();

    JsonNode mine = parley("alice", "history", "--with", BOB, "--json").json().get(0);
    assertThat(mine.get("type").asText()).isEqualTo("sent");
    assertThat(mine.get("to").asText()).isEqualTo(BOB);
    assertThat(mine.get("id").asText()).isEqualTo(message.get("id").asText());

    List<JsonNode> devices = parley("bob", "devices", "--json").json();
    assertThat(devices).singleElement().satisfies(d -> {
      assertThat(d.get("id").asInt()).isEqualTo(1);
      assertThat(d.get("primary").asBoolean()).isTrue();
      assertThat(d.get("kind").asText()).isEqualTo("phone");
    });
  }

  @Test
  void linkACompanionThroughAQrCodePngWithTheCommands() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    Path png = dir.resolve("qr.png");
    java.util.concurrent.CompletableFuture<Cli.Run> linking =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> parley("laptop", "link", "--server", server.url(), "--name", "laptop", "--kind", "desktop",
                "--qr-png", png.toString()),
            // Its own thread: the link command waits, and must not hold up the shared pool that the
            // JDK's WebSocket client uses for opening other connections.
            task -> Thread.ofPlatform().daemon().start(task));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> java.nio.file.Files.exists(png));

    Cli.Run added = parley("alice", "add-device", "--qr-png", png.toString());
    assertThat(added.code()).as(added.err()).isZero();
    Cli.Run linked = linking.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(linked.code()).as(linked.err()).isZero();
    assertThat(linked.out()).contains("parley://link?v=1&addr=").contains("█").contains("linked as device 2")
        .contains("history imported");
    assertThat(linked.err()).as("the progress bar").contains("history part 1 imported").contains("100%");

    List<JsonNode> devices = parley("laptop", "devices", "--json").json();
    assertThat(devices).extracting(d -> d.get("id").asInt()).containsExactly(1, 2);
    assertThat(devices.get(1).get("thisDevice").asBoolean()).isTrue();
    assertThat(devices.get(1).get("kind").asText()).isEqualTo("desktop");

    assertThat(parley("bob", "send", "--to", ALICE, "to both").code()).isZero();
    receiveMessages("laptop", "to both");

    assertThat(parley("laptop", "safety-number", BOB).out())
        .isEqualTo(parley("alice", "safety-number", BOB).out());
    Cli.Run unlink = parley("alice", "unlink", "2");
    assertThat(unlink.code()).as(unlink.err()).isZero();
    Cli.Run refused = parley("laptop", "send", "--to", BOB, "still here?");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("unlinked");
  }

  @Test
  void linkACompanionByAnEightCharacterCodeWithTheCommands() throws Exception {
    registerAs("alice", "+15550000511");
    registerAs("bob", "+15550000512");
    java.io.ByteArrayOutputStream shown = new java.io.ByteArrayOutputStream();
    java.util.concurrent.CompletableFuture<Cli.Run> linking =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> new Cli(dir).parley(shown, "tablet", "link", "--server", server.url(), "--name", "tablet",
                "--kind", "desktop", "--code"),
            task -> Thread.ofPlatform().daemon().start(task));
    java.util.regex.Pattern codeLine = java.util.regex.Pattern.compile("(?m)^([0-9A-Z]{4}-[0-9A-Z]{4})$");
    String code =
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(30))
            .until(() -> codeLine.matcher(shown.toString(java.nio.charset.StandardCharsets.UTF_8)), m -> m.find())
            .group(1);
    assertThat(shown.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("parley add-device --code " + code);

    String wrongCode = code.substring(0, 8) + (code.charAt(8) == '7' ? '8' : '7');
    Cli.Run wrong = parley("alice", "add-device", "--code", wrongCode);
    assertThat(wrong.code()).isNotZero();
    assertThat(wrong.err()).contains("the code is wrong (2 attempts left)");

    Cli.Run added = parley("alice", "add-device", "--code", code.toLowerCase());
    assertThat(added.code()).as(added.err()).isZero();
    assertThat(added.out()).contains("linked device");
    Cli.Run linked = linking.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(linked.code()).as(linked.err()).isZero();
    assertThat(linked.out()).contains("linked as device").contains("history imported");
    assertThat(linked.err()).as("the progress bar").contains("100%");

    assertThat(parley("bob", "send", "--to", "+15550000511", "to the tablet too").code()).isZero();
    receiveMessages("tablet", "to the tablet too");
    assertThat(parley("tablet", "send", "--to", "+15550000512", "from the tablet").code()).isZero();
    // Bob also gets the receipts of his first message: only the message is asked about.
    receiveMessages("bob", "from the tablet");
  }

  @Test
  void failuresSayWhyOnOneLineAndExitNonZero() {
    Cli.Run unregistered = parley("nobody", "send", "--to", BOB, "hi");
    assertThat(unregistered.code()).isEqualTo(1);
    assertThat(unregistered.err().strip()).startsWith("parley: ").contains("not registered").doesNotContain("\n");

    registerAs("alice", ALICE);
    Cli.Run unknown = parley("alice", "send", "--to", "+15559999999", "hi");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("not registered on this server");

    Cli.Run badPhone = parley("carol", "register", "--server", server.url(), "--phone", "12345");
    assertThat(badPhone.code()).isNotZero();
    assertThat(badPhone.err()).contains("E.164");

    Cli.Run badDuration = parley("alice", "receive", "--timeout", "5 minutes");
    assertThat(badDuration.code()).isEqualTo(2);
    assertThat(badDuration.err()).contains("is not a duration");
  }

  @Test
  void everyCommandHasHelp() {
    for (String command :
        List.of("server", "register", "verify", "link", "add-device", "devices", "unlink", "send", "receive",
            "history", "read", "safety-number", "groups create", "groups list")) {
      List<String> args = new ArrayList<>(List.of(command.split(" ")));
      args.add("--help");
      Cli.Run help = parley("x", args.toArray(String[]::new));
      assertThat(help.code()).as(command).isZero();
      assertThat(help.out()).as(command).contains("Usage: parley " + command);
      assertThat(help.out()).as(command).contains(command.equals("server") ? "--data" : "--profile");
    }
    assertThat(parley("x", "server", "--help").out()).doesNotContain("--profile").doesNotContain("--trust-cert");
  }
}
