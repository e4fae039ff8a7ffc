package org.parley.server.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.parley.protocol.PrivateFiles;
import org.parley.protocol.sql.SchemaMigrations;
import org.parley.server.store.StorageException;
import org.parley.server.store.WriteClaim;

/**
 * One SQLite file in WAL mode: a group-commit writer for every change, a few readers beside it, and
 * a checkpointer that copies the log back into the file off the writer's path.
 * synchronous=FULL: a commit is on disk before anyone is told it happened.
 */
final class SqliteDatabase implements AutoCloseable {
  private static final int READERS = 4;

  /**
   * How long the writer holds an append of envelopes already pushed to their connected devices,
   * waiting for their acks (then they are never written). The hold delays "sent", never delivery
   * (the envelope is already out), and devices that ack slower are not held at all.
   */
  static final Duration ACK_HOLD = Duration.ofNanos(WriteClaim.ACK_WAIT_NANOS);

  private final GroupCommitWriter writer;
  private final WalCheckpointer checkpointer;
  private final ReaderPool readers;
  /** Per connection (writer and readers), filled at construction and only read afterwards. */
  private final Map<Connection, StatementCache> statements;

  SqliteDatabase(Path file) {
    this(file, ACK_HOLD);
  }

  SqliteDatabase(Path file, Duration ackHold) {
    try {
      // The server's data: its operator's alone (0700; the database file and its WAL 0600).
      PrivateFiles.directory(file.toAbsolutePath().getParent());
      PrivateFiles.file(file);
      String url = "jdbc:sqlite:" + file.toAbsolutePath();
      Connection writeConnection = open(url);
      SchemaMigrations.apply(writeConnection, SqliteDatabase.class);
      try (Statement statement = writeConnection.createStatement()) {
        statement.execute("PRAGMA wal_autocheckpoint=0"); // the checkpointer's job, not the commit's
      }
      Map<Connection, StatementCache> caches = new IdentityHashMap<>();
      StatementCache writerStatements = new StatementCache(writeConnection);
      caches.put(writeConnection, writerStatements);
      this.writer = new GroupCommitWriter(writeConnection, writerStatements, "sqlite-writer", ackHold.toNanos());
      this.checkpointer = new WalCheckpointer(open(url), "sqlite-checkpoint", WalCheckpointer.INTERVAL_MILLIS, WalCheckpointer.RESTART_PAGES);
      List<Connection> readConnections = new ArrayList<>();
      for (int i = 0; i < READERS; i++) {
        Connection reader = open(url);
        readConnections.add(reader);
        caches.put(reader, new StatementCache(reader));
      }
      this.statements = caches;
      this.readers = new ReaderPool(readConnections);
    } catch (SQLException | java.io.IOException e) {
      throw new StorageException("cannot open the database at " + file + ": " + e.getMessage(), e);
    }
  }

  private static Connection open(String url) throws SQLException {
    Properties properties = new Properties();
    // The driver otherwise looks up the generated key after every INSERT (a regex match, a
    // statement and a query each time); nothing here asks for generated keys.
    properties.setProperty("jdbc.get_generated_keys", "false");
    Connection connection = DriverManager.getConnection(url, properties);
    try (Statement statement = connection.createStatement()) {
      statement.execute("PRAGMA journal_mode=WAL");
      statement.execute("PRAGMA synchronous=FULL");
      statement.execute("PRAGMA busy_timeout=10000");
      statement.execute("PRAGMA cache_size=-16000");
    }
    return connection;
  }

  /**
   * A prepared statement of this fixed SQL on this connection (the writer's or a reader's, inside
   * the work running on it), prepared once and reused: never close it, close its result sets.
   */
  PreparedStatement prepared(Connection connection, String sql) throws SQLException {
    StatementCache cache = statements.get(connection);
    if (cache == null) {
      throw new IllegalStateException("not a connection of this database");
    }
    return cache.get(sql);
  }

  <T> T read(SqlWork<T> work) {
    try {
      return readers.read(work);
    } catch (SQLException e) {
      throw new StorageException("database read failed: " + e.getMessage(), e);
    }
  }

  <T> CompletableFuture<T> write(SqlWork<T> work) {
    return writer.submit(work);
  }

  /**
   * Writes work that is cheaper done a little later while its hold says so (envelopes whose acks
   * may come first); held at most the database's ack hold.
   */
  <T> CompletableFuture<T> writeHeld(SqlWork<T> work, GroupCommitWriter.Hold<T> hold) {
    return writer.submitHeld(work, hold);
  }

  /**
   * Writes work that is as good done in part as not at all (deleting acked envelopes) without a
   * savepoint of its own: if it fails halfway, what it did stays and commits with the batch.
   */
  <T> CompletableFuture<T> writePartialOk(SqlWork<T> work) {
    return writer.submit(work, false);
  }

  /** Writes and waits for the commit; for callers already off the network threads. */
  <T> T writeAndWait(SqlWork<T> work) {
    try {
      return writer.submit(work).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new StorageException("database write failed: " + cause.getMessage(), cause);
    }
  }

  @Override
  public void close() {
    writer.close();
    checkpointer.close();
    statements.values().forEach(StatementCache::close);
    readers.close();
  }
}
