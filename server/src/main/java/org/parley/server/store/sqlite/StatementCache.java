package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The prepared statements of one connection, kept for reuse: sqlite-jdbc prepares (parses and plans)
 * a statement anew on every {@code prepareStatement}, which on the send and ack paths cost more than
 * running it. Only the thread that holds the connection uses its cache (the writer, or one reader
 * at a time), so it needs no locking. Statements taken from here are never closed by their users;
 * a result set must be closed (try-with-resources) so the statement is reset for its next use.
 * Each {@link #get} hands the statement out clean: no parameters and no pending batch.
 * Bounded: only the fixed SQL texts of the hot paths come here, never SQL built from input.
 */
final class StatementCache implements AutoCloseable {
  private static final int MAX = 64;

  private final Connection connection;
  private final Map<String, PreparedStatement> statements = new HashMap<>();

  StatementCache(Connection connection) {
    this.connection = connection;
  }

  PreparedStatement get(String sql) throws SQLException {
    PreparedStatement statement = statements.get(sql);
    if (statement == null) {
      if (statements.size() >= MAX) {
        throw new IllegalStateException("more than " + MAX + " cached statements: only fixed SQL belongs here");
      }
      statement = connection.prepareStatement(sql);
      statements.put(sql, statement);
    }
    // A user that failed between addBatch and executeBatch left its rows in the batch: without
    // clearBatch, the next use of the statement would run them too.
    statement.clearBatch();
    statement.clearParameters();
    return statement;
  }

  @Override
  public void close() {
    for (PreparedStatement statement : statements.values()) {
      try {
        statement.close();
      } catch (SQLException ignored) {
        // the connection closes next
      }
    }
    statements.clear();
  }
}
