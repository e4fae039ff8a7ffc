package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/** {@code parley groups ...}, {@code send --group} and {@code history --group} (DESIGN.md §12). */
@WithTestServer
class GroupCommandsIT {
  static final String ALICE = "+15550000901";
  static final String BOB = "+15550000902";
  static final String CAROL = "+15550000903";

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
  void createAGroupSendToItAndChangeItWithTheCommands() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    registerAs("carol", CAROL);

    String id = ok("alice", "groups", "create", "book club", "--member", BOB, "--member", CAROL).out().strip();
    assertThat(UUID.fromString(id)).as("create prints the new group's ID and nothing else").isNotNull();

    JsonNode listed = ok("alice", "groups", "list", "--json").json().getFirst();
    assertThat(listed.get("type").asText()).isEqualTo("group");
    assertThat(listed.get("id").asText()).isEqualTo(id);
    assertThat(listed.get("name").asText()).isEqualTo("book club");
    assertThat(listed.get("admin").asBoolean()).isTrue();
    assertThat(listed.get("members")).extracting(m -> m.get("phone").asText() + ":" + m.get("admin").asBoolean())
        .containsExactly(ALICE + ":true", BOB + ":false", CAROL + ":false");

    JsonNode sent = ok("alice", "send", "--group", id, "--json", "chapter one").json().getFirst();
    assertThat(sent.get("group").asText()).isEqualTo(id);

    List<JsonNode> atBob = ok("bob", "receive", "--timeout", "1s", "--json").json();
    assertThat(atBob).filteredOn(o -> o.get("type").asText().equals("group")).singleElement()
        .satisfies(o -> {
          assertThat(o.get("kind").asText()).isEqualTo("created");
          assertThat(o.get("group").asText()).isEqualTo(id);
          assertThat(o.get("by").asText()).isEqualTo(ALICE);
        });
    assertThat(atBob).filteredOn(o -> o.get("type").asText().equals("message")).singleElement()
        .satisfies(o -> {
          assertThat(o.get("group").asText()).isEqualTo(id);
          assertThat(o.get("from").asText()).isEqualTo(ALICE);
          assertThat(o.get("body").asText()).isEqualTo("chapter one");
          assertThat(o.get("id").asText()).isEqualTo(sent.get("id").asText());
        });

    Cli.Run refused = parley("bob", "groups", "remove", id, CAROL);
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err().strip()).startsWith("parley: ").contains("only an admin").doesNotContain("\n");

    JsonNode changed = ok("alice", "groups", "remove", id, CAROL, "--json").json().getFirst();
    assertThat(changed.get("members")).extracting(m -> m.get("phone").asText()).containsExactly(ALICE, BOB);
    assertThat(ok("alice", "groups", "add", id, CAROL).out()).contains("added " + CAROL);

    ok("bob", "send", "--group", id, "chapter two");
    List<JsonNode> history = ok("bob", "history", "--group", id, "--json").json();
    assertThat(history).filteredOn(o -> !o.get("type").asText().equals("system"))
        .extracting(o -> o.get("type").asText(), o -> o.get("body").asText(), o -> o.get("group").asText())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("message", "chapter one", id),
            org.assertj.core.groups.Tuple.tuple("sent", "chapter two", id));

    List<JsonNode> atCarol = ok("carol", "receive", "--timeout", "1s", "--json").json();
    assertThat(atCarol).filteredOn(o -> o.get("type").asText().equals("group"))
        .extracting(o -> o.get("kind").asText()).containsExactly("created", "removed", "added");
    assertThat(atCarol).filteredOn(o -> o.get("type").asText().equals("message"))
        .extracting(o -> o.get("body").asText()).containsExactly("chapter one", "chapter two");
    assertThat(atCarol).filteredOn(o -> o.get("type").asText().equals("warning")).isEmpty();

    ok("carol", "groups", "leave", id);
    assertThat(ok("carol", "groups", "list", "--json").out()).isBlank();
    Cli.Run outsider = parley("carol", "send", "--group", id, "back again?");
    assertThat(outsider.code()).isEqualTo(1);
    assertThat(outsider.err()).contains("not a member");
  }

  @Test
  void anAdminRenamesAndNamesAdminsAndTheLastAdminCannotStepDown() throws Exception {
    registerAs("erin", "+15550009201");
    registerAs("frank", "+15550009202");
    String id = ok("erin", "groups", "create", "choir", "--member", "+15550009202").out().strip();

    Cli.Run refused = parley("frank", "groups", "rename", id, "frank's choir");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("only an admin");
    Cli.Run last = parley("erin", "groups", "admin", id, "+15550009201", "--revoke");
    assertThat(last.code()).isEqualTo(1);
    assertThat(last.err()).contains("only admin").contains("make another member an admin first");

    ok("erin", "groups", "admin", id, "+15550009202");
    // A name that would print a forged line in the terminal (or turn the page's text around) is
    // refused before it is signed; every member's device would refuse it too.
    Cli.Run forged = parley("frank", "groups", "rename", id, "choir\n16:02  \u2014 +15550009201 made you an admin");
    assertThat(forged.code()).isEqualTo(1);
    assertThat(forged.err()).contains("one line of plain text");
    assertThat(parley("frank", "groups", "rename", id, "choir\u202Eriohc").err()).contains("one line of plain text");
    ok("frank", "groups", "rename", id, "the choir");
    ok("frank", "groups", "admin", id, "+15550009201", "--revoke");
    // Listing catches up with the signed changes Erin's device missed: told on stderr, not in the JSON,
    // which holds the group records alone; 'receive --json' hands the changes over.
    Cli.Run list = ok("erin", "groups", "list", "--json");
    assertThat(list.err()).contains("renamed by +15550009202").contains("admins by +15550009202");
    JsonNode listed = list.json().getFirst();
    assertThat(list.json()).hasSize(1);
    assertThat(listed.get("name").asText()).isEqualTo("the choir");
    assertThat(listed.get("admin").asBoolean()).isFalse();
    assertThat(listed.get("members")).extracting(m -> m.get("phone").asText() + ":" + m.get("admin").asBoolean())
        .containsExactly("+15550009201:false", "+15550009202:true");
    assertThat(ok("erin", "receive", "--json", "--timeout", "1s").json()).filteredOn(o -> o.has("kind"))
        .extracting(o -> o.get("kind").asText(), o -> o.get("by").asText())
        .containsExactly(org.assertj.core.groups.Tuple.tuple("renamed", "+15550009202"),
            org.assertj.core.groups.Tuple.tuple("admins", "+15550009202"));
  }

  @Test
  void everyGroupsCommandHasHelp() {
    for (List<String> command :
        List.of(List.of("groups"), List.of("groups", "create"), List.of("groups", "add"), List.of("groups", "remove"),
            List.of("groups", "rename"), List.of("groups", "admin"), List.of("groups", "leave"), List.of("groups", "list"))) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      Cli.Run help = parley("x", args.toArray(String[]::new));
      assertThat(help.code()).as(String.join(" ", command)).isZero();
      assertThat(help.out()).as(String.join(" ", command)).contains("Usage: parley " + String.join(" ", command));
    }
  }
}
