package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.ProfileStore;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * A group change kept on a device and its line in the group's chat are written together (DESIGN.md
 * §9): a device whose write of the line fails (its disk full, the process killed mid-write) keeps
 * neither, and takes both in at its next catch-up; never the new version without its line, which
 * would then be missing for good (a version already kept is not taken in again).
 */
@WithTestServer
class GroupLineAtomicityIT {
  static final String ALICE = "+15550000141";
  static final String BOB = "+15550000142";

  @TempDir Path dir;

  @Test
  void aChangeWhoseLineCannotBeWrittenIsNotKeptEitherAndComesBackWithItsLine(TestServer server) throws Exception {
    Path profile = dir.resolve("alice");
    String id;
    try (Device alice = register(server, profile, ALICE)) {
      register(server, dir.resolve("bob"), BOB).close();
      id = alice.groups().create("before", List.of(BOB)).id();
    }
    // The profile refuses to take any more group lines, as a full disk would refuse the write.
    sql(profile, "CREATE TRIGGER no_lines BEFORE INSERT ON messages WHEN NEW.status = 'system'"
        + " BEGIN SELECT RAISE(ABORT, 'no room for the line'); END");
    try (Device alice = Device.open(profile, ClientConfig.defaults())) {
      // The server takes the signed change; this device fails to keep it.
      assertThatThrownBy(() -> alice.groups().rename(id, "after")).hasStackTraceContaining("no room for the line");
    }
    assertThat(version(profile, id)).as("the change is not kept without its line").isEqualTo(1);

    sql(profile, "DROP TRIGGER no_lines");
    try (Device alice = Device.open(profile, ClientConfig.defaults())) {
      assertThat(alice.groups().list()).singleElement().satisfies(g -> {
        assertThat(g.name()).isEqualTo("after");
        assertThat(g.version()).isEqualTo(2);
      });
      assertThat(alice.history(null, id, 10)).filteredOn(m -> "group".equals(m.kind())).extracting(MessageEvent::body)
          .containsExactly("You created the group \u201Cbefore\u201D", "You renamed the group to \u201Cafter\u201D");
    }
  }

  private static void sql(Path profile, String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(profile)); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static long version(Path profile, String group) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(profile));
        var select = c.prepareStatement("SELECT version FROM chat_groups WHERE group_id = ?")) {
      select.setString(1, group);
      try (ResultSet rs = select.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getLong(1);
      }
    }
  }

  private static String url(Path profile) {
    return "jdbc:sqlite:" + profile.resolve(ProfileStore.FILE_NAME).toAbsolutePath();
  }
}
