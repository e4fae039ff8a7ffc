package org.parley.server.store.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.parley.server.cluster.Singletons;

/**
 * Takes turns with the other nodes through PostgreSQL session advisory locks (namespace 2, the
 * task's name hashed): a node that cannot take the lock skips the round. The lock lives as long as
 * this node's connection, so a node that dies mid-task frees it at once. Tasks must tolerate being
 * run again (both the reaper's and expiry's decisions rest on committed data).
 */
public final class PostgresSingletons implements Singletons {
  private static final int SINGLETON_LOCKS = 2;

  private final StoreUrl url;
  private Connection connection;

  public PostgresSingletons(StoreUrl url) {
    this.url = url;
  }

  @Override
  public synchronized boolean runAlone(String name, Runnable task) {
    try {
      Connection c = connection();
      if (!lock(c, "SELECT pg_try_advisory_lock(?, hashtext(?))", name)) {
        return false;
      }
      try {
        task.run();
        return true;
      } finally {
        lock(c, "SELECT pg_advisory_unlock(?, hashtext(?))", name);
      }
    } catch (SQLException e) {
      closeConnection();
      throw PostgresDatabase.failure("lock for " + name, e);
    }
  }

  private static boolean lock(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement statement = c.prepareStatement(sql)) {
      statement.setInt(1, SINGLETON_LOCKS);
      statement.setString(2, name);
      try (ResultSet rs = statement.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed() || !connection.isValid(2)) {
      closeConnection();
      connection = DriverManager.getConnection(url.jdbcUrl());
    }
    return connection;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // gone already
      }
      connection = null;
    }
  }

  @Override
  public synchronized void close() {
    closeConnection();
  }
}
