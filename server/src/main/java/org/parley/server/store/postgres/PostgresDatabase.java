package org.parley.server.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.flywaydb.core.Flyway;
import org.parley.server.store.StorageException;
import org.parley.server.store.StorageUnavailableException;

/**
 * A pool of connections to the shared PostgreSQL database, migrated by Flyway on open (Flyway
 * locks the schema, so nodes starting together migrate once). Reads and rare writes run on a pooled
 * connection each; queue appends and deletes, the hot path, go through one {@link GroupCommit} per
 * node so that many sends share one commit.
 */
final class PostgresDatabase implements AutoCloseable {
  private static final int POOL_SIZE = 12;

  private final HikariDataSource pool;
  /** Null on a database opened without a queue writer (the blob store's). */
  private final GroupCommit writer;

  /** The store's database: a pool for reads and rare writes, and the node's queue writer. */
  PostgresDatabase(StoreUrl url) {
    this(url, "parley-postgres", POOL_SIZE, true);
  }

  /**
   * A pool of its own, without a queue writer: for work that holds connections in a different
   * rhythm (the blob store moves large chunks) and must not take the queues' connections.
   */
  PostgresDatabase(StoreUrl url, String poolName, int poolSize) {
    this(url, poolName, poolSize, false);
  }

  private PostgresDatabase(StoreUrl url, String poolName, int poolSize, boolean queueWriter) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url.jdbcUrl());
    config.setPoolName(poolName);
    config.setMaximumPoolSize(poolSize);
    // A node that cannot reach the database answers "unavailable, try again" within seconds rather
    // than holding every request for the default half minute.
    config.setConnectionTimeout(3_000);
    config.setValidationTimeout(2_000);
    config.setInitializationFailTimeout(10_000);
    config.addDataSourceProperty("connectTimeout", "3");
    config.addDataSourceProperty("tcpKeepAlive", "true");
    try {
      this.pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StorageUnavailableException(
          "cannot connect to the database at " + url.display() + ": " + rootMessage(e)
              + "; is PostgreSQL running there and does the database exist?",
          e);
    }
    try {
      Flyway.configure(PostgresDatabase.class.getClassLoader())
          .dataSource(pool)
          .locations("classpath:org/parley/server/store/postgres")
          .load()
          .migrate();
      this.writer = queueWriter ? new GroupCommit(pool, "postgres-writer") : null;
    } catch (RuntimeException e) {
      pool.close();
      throw new StorageException("cannot migrate the database at " + url.display() + ": " + rootMessage(e), e);
    }
  }

  /** Runs work on a connection of its own, committing each statement as it goes. */
  <T> T read(SqlWork<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.apply(c);
    } catch (SQLException e) {
      throw failure("read", e);
    }
  }

  /** Runs work in one transaction and commits it before returning. */
  <T> T transaction(SqlWork<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.apply(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw failure("write", e);
    }
  }

  /** Queue work: batched with other nodes' threads' work into one commit; see {@link GroupCommit}. */
  <T> CompletableFuture<T> write(long[] queueLocks, SqlWork<T> work) {
    return writer.submit(queueLocks, work);
  }

  <T> T writeAndWait(long[] queueLocks, SqlWork<T> work) {
    try {
      return writer.submit(queueLocks, work).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new StorageException("database write failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException rollback) {
      cause.addSuppressed(rollback);
    }
  }

  /** Connection trouble is worth retrying; anything else is a fault of the request or the schema. */
  static StorageException failure(String what, SQLException e) {
    if (isConnectionLoss(e)) {
      return new StorageUnavailableException("the database is unreachable (" + e.getMessage() + ")", e);
    }
    return new StorageException("database " + what + " failed: " + e.getMessage(), e);
  }

  /** Class 08 (connection exception), 57P0x (server shutting down), or no connection to be had. */
  static boolean isConnectionLoss(SQLException e) {
    if (e instanceof SQLTransientConnectionException) {
      return true;
    }
    String state = e.getSQLState();
    return state != null && (state.startsWith("08") || state.startsWith("57P"));
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }

  @Override
  public void close() {
    if (writer != null) {
      writer.close();
    }
    pool.close();
  }
}
