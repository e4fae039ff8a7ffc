package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/** A fixed set of read-only connections; in WAL mode they read beside the writer. */
final class ReaderPool implements AutoCloseable {
  private final BlockingQueue<Connection> idle;
  private final List<Connection> all;

  ReaderPool(List<Connection> connections) {
    this.all = List.copyOf(connections);
    this.idle = new ArrayBlockingQueue<>(all.size(), false, all);
  }

  <T> T read(SqlWork<T> work) throws SQLException {
    Connection connection;
    try {
      connection = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for a connection", e);
    }
    try {
      return work.apply(connection);
    } finally {
      idle.add(connection);
    }
  }

  @Override
  public void close() {
    for (Connection connection : all) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}
