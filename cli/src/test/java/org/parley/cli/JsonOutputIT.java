package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * {@code --json} prints the command's own objects and nothing else: what the device happens to take
 * in while a command runs (group changes it catches up on) goes to stderr, and {@code receive --json}
 * still hands it over. Booleans are always there, false too.
 */
@WithTestServer
class JsonOutputIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ALICE = "+15550007101";
  static final String BOB = "+15550007102";
  static final String CAROL = "+15550007103";

  @TempDir Path dir;

  /** The whole of stdout, read as a stream of JSON values: anything else in it fails the parse. */
  static List<JsonNode> whole(Cli.Run run) throws Exception {
    try (MappingIterator<JsonNode> values = JSON.readerFor(JsonNode.class).readValues(run.out())) {
      return values.readAll();
    }
  }

  @Test
  void groupsListPrintsOnlyTheGroupRecordsWithEveryAdminMark(TestServer server) throws Exception {
    Cli cli = new Cli(dir);
    cli.registerAs(server, "alice", ALICE);
    cli.registerAs(server, "bob", BOB);
    cli.registerAs(server, "carol", CAROL);
    String id = cli.ok("alice", "groups", "create", "quiz", "--member", BOB).out().strip();
    cli.ok("alice", "groups", "add", id, CAROL);
    cli.ok("alice", "groups", "rename", id, "quiz night");

    // Bob has taken nothing in yet: listing catches up on the signed changes.
    Cli.Run listed = cli.ok("bob", "groups", "list", "--json");
    List<JsonNode> objects = whole(listed);
    assertThat(objects).as("stdout: %s", listed.out()).singleElement().satisfies(group -> {
      assertThat(group.get("type").asText()).isEqualTo("group");
      assertThat(group.has("kind")).as("a group change is not a group record").isFalse();
      assertThat(group.get("id").asText()).isEqualTo(id);
      assertThat(group.get("name").asText()).isEqualTo("quiz night");
      assertThat(group.get("admin").isBoolean()).isTrue();
      assertThat(group.get("admin").asBoolean()).isFalse();
      assertThat(group.get("members")).hasSize(3).allSatisfy(m -> {
        assertThat(m.get("admin")).as("member %s", m).isNotNull();
        assertThat(m.get("admin").isBoolean()).isTrue();
      });
      assertThat(group.get("members")).extracting(m -> m.get("phone").asText() + ":" + m.get("admin").asBoolean())
          .containsExactly(ALICE + ":true", BOB + ":false", CAROL + ":false");
      assertThat(group.get("members").get(1).fieldNames()).toIterable().containsExactly("phone", "admin");
    });
    assertThat(listed.err()).as("what it caught is told on stderr").contains("group quiz night (" + id + ")");

    // Not in the JSON of 'groups list', so 'receive --json' still owes it.
    List<JsonNode> received = whole(cli.ok("bob", "receive", "--json", "--timeout", "1s"));
    assertThat(received).filteredOn(o -> o.path("type").asText().equals("group"))
        .isNotEmpty()
        .allSatisfy(o -> assertThat(o.get("group").asText()).isEqualTo(id));

    // Carol sends first: the send catches up on the group too, and prints only what it sent.
    Cli.Run sent = cli.ok("carol", "send", "--group", id, "--json", "hello quiz");
    assertThat(whole(sent)).as("stdout: %s", sent.out()).singleElement()
        .satisfies(o -> assertThat(o.get("type").asText()).isEqualTo("sent"));
    Cli.Run history = cli.ok("carol", "history", "--group", id, "--json");
    assertThat(whole(history)).as("stdout: %s", history.out())
        .allSatisfy(o -> assertThat(o.get("type").asText()).isIn("sent", "message", "system"));
  }
}
