package org.parley.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints leave the writer's commits: the log is copied back by a thread of its own, and stays bounded. */
class WalCheckpointerTest {
  private static final byte[] ROW = new byte[3000];

  @TempDir Path dir;

  @Test
  void theWriterNeverCheckpointsAndTheCheckpointerCopiesTheLogBack() throws Exception {
    Path file = dir.resolve("parley.db");
    try (SqliteDatabase db = new SqliteDatabase(file)) {
      int autocheckpoint = db.writeAndWait(c -> pragma(c, "wal_autocheckpoint"));
      assertThat(autocheckpoint).isZero();
      long before = Files.size(file);

      List<CompletableFuture<Integer>> writes = new ArrayList<>();
      db.writeAndWait(c -> update(c, "CREATE TABLE bulk (data BLOB)"));
      for (int i = 0; i < 1500; i++) { // about 1,500 pages, past the 1,000 of SQLite's own checkpoint
        writes.add(db.write(c -> insert(c, 1)));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

      // Nothing but the checkpointer copies pages into the database file.
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.size(file) > before + 1500L * ROW.length);
    }
  }

  @Test
  void aLogThatPassiveCheckpointsCannotStartOverIsRestartedPastItsBound() throws Exception {
    String url = "jdbc:sqlite:" + dir.resolve("bounded.db");
    Connection writeConnection = DriverManager.getConnection(url);
    try (Statement s = writeConnection.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=OFF"); // the log's bookkeeping is under test here, not the disk
      s.execute("PRAGMA wal_autocheckpoint=0");
      s.execute("CREATE TABLE bulk (data BLOB)");
    }
    int bound = 50;
    GroupCommitWriter writer = new GroupCommitWriter(writeConnection, new StatementCache(writeConnection), "test-writer", 0);
    Connection checkpointConnection = DriverManager.getConnection(url);
    try (Statement s = checkpointConnection.createStatement()) {
      s.execute("PRAGMA busy_timeout=10000"); // as SqliteDatabase opens every connection
      s.execute("PRAGMA synchronous=OFF");
    }
    WalCheckpointer checkpointer = new WalCheckpointer(checkpointConnection, "test-checkpoint", 5, bound);
    try {
      // A stream of commits, each a few pages, for well over the bound's worth of log.
      for (int i = 0; i < 150; i++) {
        writer.submit(c -> insert(c, 5)).join();
      }

      // Back-to-back commits seldom leave a passive checkpoint the moment to start the log over, so
      // only a RESTART brings the log back under its bound. The writes may all be done before the
      // checkpointer's next round (a fast writer on a quiet machine): wait for that round, bounded.
      await().atMost(Duration.ofSeconds(10)).until(() -> checkpointer.restarts() > 0);
    } finally {
      writer.close();
      checkpointer.close();
    }
  }

  @Test
  void aReaderStuckOnAnOldSnapshotNeverMakesTheWriterGiveUp() throws Exception {
    String url = "jdbc:sqlite:" + dir.resolve("stuck.db");
    Connection writeConnection = DriverManager.getConnection(url);
    try (Statement s = writeConnection.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=OFF");
      s.execute("PRAGMA wal_autocheckpoint=0");
      s.execute("PRAGMA busy_timeout=1000"); // shorter than the server's 10 s, so the test is short
      s.execute("CREATE TABLE bulk (data BLOB)");
    }
    GroupCommitWriter writer = new GroupCommitWriter(writeConnection, new StatementCache(writeConnection), "test-writer", 0);
    Connection reader = DriverManager.getConnection(url);
    reader.setAutoCommit(false);
    try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM bulk")) {
      rs.next(); // the read transaction, and its snapshot, stay open until the rollback below
    }
    Connection checkpointConnection = DriverManager.getConnection(url);
    try (Statement s = checkpointConnection.createStatement()) {
      s.execute("PRAGMA busy_timeout=10000"); // as SqliteDatabase opens every connection
    }
    WalCheckpointer checkpointer = new WalCheckpointer(checkpointConnection, "test-checkpoint", 5, 20);
    try {
      // Past the bound, RESTART waits for the reader (which never moves) and holds writes off meanwhile.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
      int commits = 0;
      while (System.nanoTime() < until) {
        writer.submit(c -> insert(c, 5)).join();
        commits++;
      }
      assertThat(commits).isPositive();
    } finally {
      reader.rollback();
      reader.close();
      writer.close();
      checkpointer.close();
    }
  }

  /**
   * A batch whose first task reads before it writes must not fail while a RESTART holds the write
   * lock: SQLite waits (busy handler) to take a lock, never to upgrade a read to a write, so such a
   * batch once failed at once with SQLITE_BUSY (seen as refused pre-key fetches in the group bench).
   */
  @Test
  void aTaskThatReadsBeforeItWritesWaitsForARestartInsteadOfFailing() throws Exception {
    String url = "jdbc:sqlite:" + dir.resolve("upgrade.db");
    Connection writeConnection = DriverManager.getConnection(url);
    try (Statement s = writeConnection.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=OFF");
      s.execute("PRAGMA wal_autocheckpoint=0");
      s.execute("PRAGMA busy_timeout=1000");
      s.execute("CREATE TABLE bulk (data BLOB)");
    }
    GroupCommitWriter writer = new GroupCommitWriter(writeConnection, new StatementCache(writeConnection), "test-writer", 0);
    Connection reader = DriverManager.getConnection(url);
    reader.setAutoCommit(false);
    try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM bulk")) {
      rs.next(); // a snapshot the RESTARTs wait for, holding the write lock meanwhile
    }
    Connection checkpointConnection = DriverManager.getConnection(url);
    WalCheckpointer checkpointer = new WalCheckpointer(checkpointConnection, "test-checkpoint", 1, 1);
    try {
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000);
      int failed = 0;
      while (System.nanoTime() < until) {
        try {
          writer.submit(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM bulk")) {
              rs.next();
            }
            return insert(c, 1);
          }).join();
        } catch (java.util.concurrent.CompletionException e) {
          failed++;
        }
      }
      assertThat(failed).isZero();
    } finally {
      reader.rollback();
      reader.close();
      writer.close();
      checkpointer.close();
    }
  }

  private static int insert(Connection c, int rows) throws SQLException {
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO bulk (data) VALUES (?)")) {
      for (int i = 0; i < rows; i++) {
        insert.setBytes(1, ROW);
        insert.executeUpdate();
      }
    }
    return rows;
  }

  private static int update(Connection c, String sql) throws SQLException {
    try (Statement statement = c.createStatement()) {
      return statement.executeUpdate(sql);
    }
  }

  private static int pragma(Connection c, String name) throws SQLException {
    try (Statement statement = c.createStatement(); ResultSet rs = statement.executeQuery("PRAGMA " + name)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
