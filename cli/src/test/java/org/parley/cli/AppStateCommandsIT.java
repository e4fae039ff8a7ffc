package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * {@code parley contacts|chats|labels|assign|notes} (DESIGN.md §12, §16) as a user types them: plain
 * and JSON output, names instead of numbers, refusals that say what to do.
 */
@WithTestServer
class AppStateCommandsIT {
  static final String ALICE = "+15550001801";
  static final String BOB = "+15550001802";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  Cli.Run parley(String profile, String... args) {
    return new Cli(dir).parley(profile, args);
  }

  Cli.Run ok(String profile, String... args) {
    return new Cli(dir).ok(profile, args);
  }

  void registerAs(String profile, String phone) {
    new Cli(dir).registerAs(server, profile, phone);
  }

  @Test
  void nameLabelMarkAssignAndNoteAChat() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    ok("bob", "send", "--to", ALICE, "hello, I would like to order");

    assertThat(ok("alice", "contacts", "name", BOB, "Bob Builder").out()).contains("named " + BOB);
    JsonNode contact = ok("alice", "contacts", "list", "--json").json().getFirst();
    assertThat(contact.get("number").asText()).isEqualTo(BOB);
    assertThat(contact.get("name").asText()).isEqualTo("Bob Builder");

    // Names instead of numbers where messages are printed; JSON adds a name field.
    List<JsonNode> received = ok("alice", "receive", "--timeout", "1s", "--json").json();
    assertThat(received).filteredOn(o -> o.get("type").asText().equals("message")).singleElement()
        .satisfies(o -> {
          assertThat(o.get("from").asText()).isEqualTo(BOB);
          assertThat(o.get("name").asText()).isEqualTo("Bob Builder");
        });

    JsonNode label = ok("alice", "labels", "create", "new order", "--colour", "red", "--json").json().getFirst();
    assertThat(label.get("colour").asText()).isEqualTo("#e53935");
    ok("alice", "labels", "add", "new order", BOB);
    ok("alice", "chats", "mute", BOB, "8h");
    ok("alice", "assign", BOB, "--to", "1");
    ok("alice", "notes", "add", BOB, "pays on Fridays");

    JsonNode chat = ok("alice", "chats", "list", "--json").json().getFirst();
    assertThat(chat.get("chat").asText()).isEqualTo(BOB);
    assertThat(chat.get("name").asText()).isEqualTo("Bob Builder");
    assertThat(chat.get("mutedUntil").asLong()).isGreaterThan(System.currentTimeMillis() + 7 * 3600_000L);
    assertThat(chat.get("labels")).extracting(JsonNode::asText).containsExactly("new order");
    assertThat(chat.get("assignedTo").asInt()).isEqualTo(1);
    assertThat(chat.get("notes").asInt()).isEqualTo(1);
    assertThat(ok("alice", "history", "--with", BOB).out())
        .contains("Bob Builder (device 1): hello")
        .contains("— chat assigned to");
    assertThat(ok("alice", "notes", "list", BOB).out()).contains("pays on Fridays");

    // Refusals say what is wrong.
    Cli.Run longNote = parley("alice", "notes", "add", BOB, "x".repeat(5000));
    assertThat(longNote.code()).isEqualTo(2);
    assertThat(longNote.err()).contains("at most 4096 bytes");
    Cli.Run noSuchLabel = parley("alice", "labels", "add", "nonsense", BOB);
    assertThat(noSuchLabel.code()).isEqualTo(1);
    assertThat(noSuchLabel.err()).contains("there is no label 'nonsense'");
  }
}
