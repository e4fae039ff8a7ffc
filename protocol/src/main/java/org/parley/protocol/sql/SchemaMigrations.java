package org.parley.protocol.sql;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Brings an SQLite file (the server's store, a device profile) up to the current schema: applies the
 * scripts listed, in order, in {@code migrations.txt} beside the given class. The count applied is
 * kept in {@code PRAGMA user_version}; each script runs in its own transaction.
 */
public final class SchemaMigrations {
  private SchemaMigrations() {}

  public static void apply(Connection connection, Class<?> scriptsBeside) throws SQLException {
    List<String> scripts =
        resource(scriptsBeside, "migrations.txt").lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    int applied;
    try (Statement statement = connection.createStatement();
        var rs = statement.executeQuery("PRAGMA user_version")) {
      applied = rs.next() ? rs.getInt(1) : 0;
    }
    if (applied > scripts.size()) {
      throw new SQLException(
          "this database was written by a newer Parley (schema " + applied + "); upgrade Parley");
    }
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      for (int i = applied; i < scripts.size(); i++) {
        for (String sql : resource(scriptsBeside, scripts.get(i)).split(";\\s*(\\n|$)")) {
          if (!sql.isBlank()) {
            statement.execute(sql);
          }
        }
        statement.execute("PRAGMA user_version = " + (i + 1));
        connection.commit();
      }
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  private static String resource(Class<?> beside, String name) throws SQLException {
    try (InputStream in = beside.getResourceAsStream(name)) {
      if (in == null) {
        throw new SQLException("schema script " + name + " is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SQLException("cannot read schema script " + name, e);
    }
  }
}
