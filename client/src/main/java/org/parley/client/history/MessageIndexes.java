package org.parley.client.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Lets a large history import fill the {@code messages} table with its secondary indexes dropped,
 * and builds them again afterwards. Each message adds an entry at a random place of every index; once the
 * indexes outgrow SQLite's page cache (a few thousand messages) each insert costs page reads and
 * dirty-page spills, and 1,000,000 messages take minutes. Built afresh, an index is one sort.
 *
 * <p>The indexes are re-created from the table's own {@code CREATE INDEX} statements, so an index a
 * later migration adds is kept too. Run inside one transaction: a failure rolls the drop back with
 * everything else, and no other work on the profile sees the table without its indexes (the
 * profile's lock is held throughout).
 */
final class MessageIndexes {
  /** Below this many new messages a bulk load keeps the indexes: rebuilding them would cost more. */
  static final long MIN_BULK = 10_000;

  private MessageIndexes() {}

  /**
   * Whether adding {@code incoming} messages to a table holding {@code held} is cheaper with the
   * indexes rebuilt: rebuilding reads every row held, inserting touches a random page per message.
   */
  static boolean worthRebuilding(long incoming, long held) {
    return incoming >= MIN_BULK && incoming >= held;
  }

  /** Messages held now (a scan of the smallest index; a fraction of a second at a million). */
  static long held(Connection c) throws SQLException {
    try (Statement count = c.createStatement();
        ResultSet rs = count.executeQuery("SELECT COUNT(*) FROM messages")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /**
   * Drops the secondary indexes that are not unique; returns the statements that build them again,
   * for {@link #rebuild}.
   */
  static List<String> drop(Connection c) throws SQLException {
    List<String> names = new ArrayList<>();
    List<String> creates = new ArrayList<>();
    // Only plain CREATE INDEX indexes (origin 'c') that are not UNIQUE: the primary key's own index
    // and any unique one stay, since they are what keeps the table's rows distinct while it fills.
    try (PreparedStatement select =
            c.prepareStatement(
                "SELECT s.name, s.sql FROM pragma_index_list('messages') l JOIN sqlite_schema s ON s.name = l.name"
                    + " WHERE l.origin = 'c' AND l.\"unique\" = 0 AND s.type = 'index' AND s.sql IS NOT NULL"
                    + " ORDER BY s.name");
        ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        names.add(rs.getString(1));
        creates.add(rs.getString(2));
      }
    }
    try (Statement drop = c.createStatement()) {
      for (String name : names) {
        drop.execute("DROP INDEX \"" + name.replace("\"", "\"\"") + "\"");
      }
    }
    return creates;
  }

  static void rebuild(Connection c, List<String> creates) throws SQLException {
    try (Statement create = c.createStatement()) {
      for (String sql : creates) {
        create.execute(sql);
      }
    }
  }
}
