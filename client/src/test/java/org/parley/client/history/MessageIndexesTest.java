package org.parley.client.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.store.ProfileStore;

class MessageIndexesTest {
  @TempDir Path dir;

  @Test
  void onlyPlainSecondaryIndexesAreDroppedAndTheyComeBackAsTheyWere() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      store.transaction(c -> {
        // As a later migration might add them: a unique index and a partial one.
        c.createStatement().execute("CREATE UNIQUE INDEX messages_unique_body ON messages (body, timestamp)");
        c.createStatement().execute("CREATE INDEX messages_unread ON messages (timestamp) WHERE status = 'unread'");
        return null;
      });
      List<String> before = indexes(store);

      store.transaction(c -> {
        List<String> creates = MessageIndexes.drop(c);
        assertThat(creates).hasSize(3).noneMatch(sql -> sql.contains("UNIQUE"));
        assertThat(names(c)).as("the unique index stays while the table fills").containsExactly("messages_unique_body");
        MessageIndexes.rebuild(c, creates);
        return null;
      });
      assertThat(indexes(store)).isEqualTo(before);
    }
  }

  private static List<String> indexes(ProfileStore store) {
    return store.read(c -> {
      List<String> out = new ArrayList<>();
      try (ResultSet rs = c.createStatement().executeQuery(
          "SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'messages'"
              + " AND sql IS NOT NULL ORDER BY name")) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    });
  }

  private static List<String> names(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet rs = c.createStatement().executeQuery(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL ORDER BY name")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
