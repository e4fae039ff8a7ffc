package org.parley.client.store;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.parley.client.ClientException;
import org.parley.protocol.PrivateFiles;
import org.parley.protocol.sql.SchemaMigrations;

/**
 * One device's SQLite file: keys, sessions, contacts, messages. One connection, one lock; work that
 * must be atomic (decrypt + store the message + mark the envelope processed) runs in {@link
 * #transaction}, and the libsignal stores write through the same connection so they join it.
 */
public final class ProfileStore implements AutoCloseable {
  public static final String FILE_NAME = "device.db";

  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();
  /**
   * Statements of the hottest fixed SQL (sessions, identities, vouched keys: several per envelope),
   * prepared once: sqlite-jdbc parses and plans a statement anew on every prepare. Used only under
   * the lock, like the connection.
   */
  private final java.util.Map<String, PreparedStatement> statements = new java.util.HashMap<>();
  private static final int MAX_STATEMENTS = 32;
  private int depth;

  /** A unit of work on the profile's connection. */
  @FunctionalInterface
  public interface Work<T> {
    T apply(Connection connection) throws SQLException;
  }

  private ProfileStore(Connection connection) {
    this.connection = connection;
  }

  public static ProfileStore open(Path directory) {
    try {
      // Private keys and messages: the owner's alone (0700, 0600; SQLite's WAL file follows the database's mode).
      PrivateFiles.directory(directory);
      PrivateFiles.file(directory.resolve(FILE_NAME));
      java.util.Properties options = new java.util.Properties();
      // Otherwise sqlite-jdbc prepares and runs "SELECT last_insert_rowid()" after every INSERT, in
      // case getGeneratedKeys() is called; nothing here calls it (those who need the rowid ask for it).
      options.setProperty("jdbc.get_generated_keys", "false");
      Connection connection =
          DriverManager.getConnection("jdbc:sqlite:" + directory.resolve(FILE_NAME).toAbsolutePath(), options);
      try (Statement statement = connection.createStatement()) {
        statement.execute("PRAGMA journal_mode=WAL");
        // A device acks an envelope only after its own commit, so commits must reach the disk.
        statement.execute("PRAGMA synchronous=FULL");
        statement.execute("PRAGMA busy_timeout=10000");
      }
      SchemaMigrations.apply(connection, ProfileStore.class);
      return new ProfileStore(connection);
    } catch (SQLException | IOException e) {
      throw new ClientException(
          "cannot open the device profile in " + directory + ": " + e.getMessage(), e);
    }
  }

  /** Runs work atomically; nested calls join the outer transaction. */
  public <T> T transaction(Work<T> work) {
    lock.lock();
    try {
      boolean outer = depth == 0;
      if (outer) {
        connection.setAutoCommit(false);
      }
      depth++;
      try {
        T result = work.apply(connection);
        if (outer) {
          connection.commit();
        }
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        if (outer) {
          connection.rollback();
        }
        throw e;
      } finally {
        depth--;
        if (outer) {
          connection.setAutoCommit(true);
        }
      }
    } catch (SQLException e) {
      throw new ClientException("the device profile could not be updated: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A prepared statement of this fixed SQL, kept for reuse: call it only inside {@link #read} or
   * {@link #transaction} work, never close it, and close its result sets.
   */
  public PreparedStatement statement(String sql) throws SQLException {
    if (!lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("a cached statement is only used inside read or transaction work");
    }
    PreparedStatement statement = statements.get(sql);
    if (statement == null) {
      if (statements.size() >= MAX_STATEMENTS) {
        throw new IllegalStateException("more than " + MAX_STATEMENTS + " cached statements: only fixed SQL belongs here");
      }
      statement = connection.prepareStatement(sql);
      statements.put(sql, statement);
    }
    statement.clearParameters();
    return statement;
  }

  /** Runs work under the lock without opening a transaction (reads, single statements). */
  public <T> T read(Work<T> work) {
    lock.lock();
    try {
      return work.apply(connection);
    } catch (SQLException e) {
      throw new ClientException("the device profile could not be read: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  public byte[] setting(String name) {
    return read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT value FROM settings WHERE name = ?")) {
        select.setString(1, name);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? rs.getBytes(1) : null;
        }
      }
    });
  }

  public void putSetting(String name, byte[] value) {
    transaction(c -> {
      try (PreparedStatement put =
          c.prepareStatement("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)")) {
        put.setString(1, name);
        put.setBytes(2, value);
        return put.executeUpdate();
      }
    });
  }

  public String text(String name) {
    byte[] value = setting(name);
    return value == null ? null : new String(value, java.nio.charset.StandardCharsets.UTF_8);
  }

  public void putText(String name, String value) {
    putSetting(name, value == null ? null : value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public long number(String name, long fallback) {
    String value = text(name);
    return value == null ? fallback : Long.parseLong(value);
  }

  public void putNumber(String name, long value) {
    putText(name, Long.toString(value));
  }

  @Override
  public void close() {
    lock.lock();
    try {
      for (PreparedStatement statement : statements.values()) {
        try {
          statement.close();
        } catch (SQLException ignored) {
          // the connection closes next
        }
      }
      statements.clear();
      connection.close();
    } catch (SQLException ignored) {
      // closing anyway
    } finally {
      lock.unlock();
    }
  }
}
