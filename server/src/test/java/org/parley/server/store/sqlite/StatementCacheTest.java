package org.parley.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A cached statement outlives the work that used it: when that work fails between addBatch and
 * executeBatch (a later row throws), the rows it added must not be run by the next user.
 */
class StatementCacheTest {
  private static final String INSERT = "INSERT INTO t (v) VALUES (?)";

  @Test
  void anAbandonedBatchIsNotRunByTheNextUse() throws Exception {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite::memory:");
        StatementCache cache = new StatementCache(connection)) {
      try (Statement ddl = connection.createStatement()) {
        ddl.execute("CREATE TABLE t (v TEXT NOT NULL)");
      }
      PreparedStatement abandoned = cache.get(INSERT);
      abandoned.setString(1, "stale 1");
      abandoned.addBatch();
      abandoned.setString(1, "stale 2");
      abandoned.addBatch();
      // ... and the work throws here, before executeBatch.

      PreparedStatement next = cache.get(INSERT);
      assertThat(next).isSameAs(abandoned);
      next.setString(1, "fresh");
      next.addBatch();
      next.executeBatch();

      try (Statement query = connection.createStatement();
          ResultSet rs = query.executeQuery("SELECT group_concat(v) FROM t")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("fresh");
      }
    }
  }
}
