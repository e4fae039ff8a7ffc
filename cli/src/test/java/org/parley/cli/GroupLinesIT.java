package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * A group change is a line in the group's chat on every member's device (made there, or received and
 * verified): {@code parley history} shows it, plain and as a {@code system} object of kind {@code group}.
 */
@WithTestServer
class GroupLinesIT {
  static final String ALICE = "+15550007201";
  static final String BOB = "+15550007202";
  static final String CAROL = "+15550007203";

  @TempDir Path dir;

  static List<String> lines(List<JsonNode> history) {
    return history.stream()
        .filter(o -> o.get("type").asText().equals("system") && o.path("kind").asText().equals("group"))
        .map(o -> o.get("body").asText())
        .toList();
  }

  @Test
  void addRemoveRenameAndAdminAreLinesInTheChat(TestServer server) throws Exception {
    Cli cli = new Cli(dir);
    cli.registerAs(server, "alice", ALICE);
    cli.registerAs(server, "bob", BOB);
    cli.registerAs(server, "carol", CAROL);
    String id = cli.ok("alice", "groups", "create", "quiz", "--member", BOB).out().strip();
    cli.ok("alice", "send", "--group", id, "first round at eight");
    cli.ok("alice", "groups", "add", id, CAROL);
    cli.ok("alice", "groups", "rename", id, "quiz night");
    cli.ok("alice", "groups", "admin", id, CAROL);
    cli.ok("carol", "receive", "--timeout", "1s");
    cli.ok("carol", "groups", "remove", id, BOB);
    cli.ok("alice", "receive", "--timeout", "1s");
    cli.ok("bob", "receive", "--timeout", "1s");

    List<JsonNode> atAlice = cli.ok("alice", "history", "--group", id, "--json").json();
    assertThat(lines(atAlice)).containsExactly(
        "You created the group \u201Cquiz\u201D",
        "You added " + CAROL,
        "You renamed the group to \u201Cquiz night\u201D",
        "You made " + CAROL + " an admin",
        CAROL + " removed " + BOB);
    assertThat(atAlice).extracting(o -> o.get("type").asText()).containsSubsequence("system", "sent", "system");
    assertThat(atAlice).filteredOn(o -> o.get("type").asText().equals("system"))
        .allSatisfy(o -> assertThat(o.get("group").asText()).isEqualTo(id));

    assertThat(lines(cli.ok("bob", "history", "--group", id, "--json").json())).containsExactly(
        ALICE + " created the group \u201Cquiz\u201D",
        ALICE + " added " + CAROL,
        ALICE + " renamed the group to \u201Cquiz night\u201D",
        ALICE + " made " + CAROL + " an admin",
        CAROL + " removed you");

    String plain = cli.ok("alice", "history", "--group", id).out();
    assertThat(plain).contains("\u2014 " + CAROL + " removed " + BOB + " in group " + id);
  }
}
