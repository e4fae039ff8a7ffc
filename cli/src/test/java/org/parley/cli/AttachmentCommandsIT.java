package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * {@code send --attachment} and {@code attachment get} (README.md, commands): standalone, and through a
 * daemon holding the receiver's profile, which fetches what arrives by itself.
 */
@WithTestServer
class AttachmentCommandsIT {
  static final String ALICE = "+15550001411";
  static final String BOB = "+15550001412";

  @TempDir Path dir;
  TestServer server;
  Daemon daemon;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @AfterEach
  void stopDaemon() {
    if (daemon != null) {
      daemon.close();
    }
  }

  Cli.Run ok(String profile, String... args) {
    Cli.Run run = new Cli(dir).parley(profile, args);
    assertThat(run.code()).as("parley %s: %s", String.join(" ", args), run.err()).isZero();
    return run;
  }

  @Test
  void filesGoWithTheMessageAndComeOutVerifiedStandaloneAndThroughTheDaemon() throws Exception {
    for (String[] user : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
      ok(user[0], "register", "--server", server.url(), "--phone", user[1]);
      ok(user[0], "verify", server.sms().codeFor(user[1]));
    }
    Path report = Files.write(dir.resolve("report.bin"), random(120_000));
    Path notes = Files.write(dir.resolve("notes.txt"), "first line\nsecond line\n".getBytes());

    JsonNode sent = json(ok("alice", "send", "--to", BOB, "--attachment", report.toString(), "--attachment",
        notes.toString(), "--json", "the report").out());
    assertThat(sent.path("status").asText()).isEqualTo("sent");
    assertThat(sent.path("attachments")).as("the ids of the files, for scripts").hasSize(2);

    // standalone: the message, then each file fetched and verified
    List<JsonNode> received = lines(ok("bob", "receive", "--timeout", "1s", "--json").out());
    JsonNode message = received.stream().filter(e -> e.path("type").asText().equals("message")).findFirst().orElseThrow();
    assertThat(message.path("attachments")).hasSize(2);
    assertThat(message.path("attachments").get(0).path("id").asText()).isEqualTo(sent.path("attachments").get(0).asText());
    assertThat(message.path("attachments").get(0).path("fileName").asText()).isEqualTo("report.bin");
    assertThat(message.path("attachments").get(1).path("contentType").asText()).isEqualTo("text/plain");
    assertThat(message.path("attachments").get(0).path("path").isNull()).isTrue();
    List<JsonNode> fetched = received.stream().filter(e -> e.path("type").asText().equals("attachment")).toList();
    assertThat(fetched).hasSize(2).allSatisfy(e -> assertThat(e.path("status").asText()).isEqualTo("fetched"));
    assertThat(Files.readAllBytes(Path.of(fetched.get(0).path("path").asText()))).isEqualTo(Files.readAllBytes(report));

    JsonNode inHistory = lines(ok("bob", "history", "--with", ALICE, "--json").out()).getLast();
    assertThat(inHistory.path("attachments").get(1).path("path").asText()).endsWith(".txt");
    assertThat(ok("bob", "history", "--with", ALICE).out()).contains("attachment ").contains("report.bin");

    // through a daemon that holds bob's profile: it fetches by itself, and 'attachment get' goes through it
    daemon = Daemon.start(new Daemon.Options(
        List.of(dir.resolve("bob")), false, dir.resolve("bob"), null, null, null, null, Duration.ofDays(30),
        ClientConfig.defaults()));
    Path photo = Files.write(dir.resolve("photo.jpg"), jpegHeader(50_000));
    ok("alice", "send", "--to", BOB, "--attachment", photo.toString());
    String id = await().atMost(Duration.ofSeconds(30)).until(() -> {
      JsonNode last = lines(ok("bob", "history", "--with", ALICE, "--json").out()).getLast();
      JsonNode attachment = last.path("attachments").path(0);
      return "fetched".equals(attachment.path("status").asText()) && attachment.path("contentType").asText().equals("image/jpeg")
          ? attachment.path("id").asText() : null;
    }, java.util.Objects::nonNull);
    Path out = dir.resolve("out").resolve("photo-copy.jpg");
    Files.createDirectories(out.getParent());
    JsonNode got = json(ok("bob", "attachment", "get", id, "--out", out.toString(), "--json").out());
    assertThat(got.path("out").asText()).isEqualTo(out.toString());
    assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(photo));
    Cli.Run again = new Cli(dir).parley("bob", "attachment", "get", id, "--out", out.toString());
    assertThat(again.code()).isNotZero();
    assertThat(again.err()).contains("exists already");
    Cli.Run unknown = new Cli(dir).parley("bob", "attachment", "get", "no-such-id");
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("no attachment no-such-id");
  }

  private static JsonNode json(String line) throws Exception {
    return org.parley.cli.RpcClient.JSON.readTree(line.strip().lines().reduce((a, b) -> b).orElseThrow());
  }

  private static List<JsonNode> lines(String out) {
    return out.lines().filter(l -> !l.isBlank()).map(l -> {
      try {
        return org.parley.cli.RpcClient.JSON.readTree(l);
      } catch (Exception e) {
        throw new AssertionError(l, e);
      }
    }).toList();
  }

  private static byte[] jpegHeader(int size) {
    byte[] bytes = random(size);
    bytes[0] = (byte) 0xff;
    bytes[1] = (byte) 0xd8;
    bytes[2] = (byte) 0xff;
    return bytes;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }
}
