package org.parley.server.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.parley.server.store.StorageException;

/**
 * Puts a backup (made by {@code parley admin backup}) in place of a stopped server's store. The
 * backup is checked first (a whole, uncorrupted SQLite file holding a Parley store this version can
 * open), and the store it replaces is kept beside it, renamed, never deleted.
 */
public final class SqliteRestore {
  private SqliteRestore() {}

  /**
   * Checks a backup file: SQLite's integrity check and the Parley schema.
   *
   * @return a one-line description (accounts, schema version)
   */
  public static String check(Path backup) {
    if (!Files.isRegularFile(backup)) {
      throw new StorageException("no backup file at " + backup, null);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + backup.toAbsolutePath() + "?mode=ro");
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
        String result = rs.next() ? rs.getString(1) : "no answer";
        if (!"ok".equals(result)) {
          throw new StorageException(backup + " is damaged: " + result, null);
        }
      }
      int schema;
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        schema = rs.next() ? rs.getInt(1) : 0;
      }
      long accounts;
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM accounts")) {
        rs.next();
        accounts = rs.getLong(1);
      }
      return "schema " + schema + ", " + accounts + " accounts";
    } catch (SQLException e) {
      throw new StorageException(backup + " is not a Parley server backup: " + e.getMessage(), e);
    }
  }

  /**
   * Replaces the store in {@code dataDirectory} with the backup. The caller holds the data
   * directory's lock (no server runs on it).
   *
   * @return where the replaced store was kept, if there was one
   */
  public static Path restore(Path backup, Path dataDirectory, String suffix) throws IOException {
    check(backup);
    Files.createDirectories(dataDirectory);
    Path live = dataDirectory.resolve(SqliteStorage.FILE_NAME);
    Path incoming = dataDirectory.resolve(SqliteStorage.FILE_NAME + ".restoring");
    Files.copy(backup, incoming, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel channel = FileChannel.open(incoming, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Path kept = null;
    if (Files.exists(live)) {
      // The file and its write-ahead log move together: committed pages may still be in the log.
      kept = dataDirectory.resolve(SqliteStorage.FILE_NAME + ".before-restore-" + suffix);
      Files.move(live, kept);
      Path wal = dataDirectory.resolve(SqliteStorage.FILE_NAME + "-wal");
      if (Files.exists(wal)) {
        Files.move(wal, Path.of(kept + "-wal"));
      }
      Files.deleteIfExists(dataDirectory.resolve(SqliteStorage.FILE_NAME + "-shm"));
    }
    Files.move(incoming, live, StandardCopyOption.ATOMIC_MOVE);
    return kept;
  }
}
