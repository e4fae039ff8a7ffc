package org.parley.server.store.sqlite;

import java.nio.file.Path;
import java.time.Duration;
import org.parley.server.store.Accounts;
import org.parley.server.store.Groups;
import org.parley.server.store.RegistrationLocks;
import org.parley.server.store.Keys;
import org.parley.server.store.OnlineBackup;
import org.parley.server.store.Queues;
import org.parley.server.store.Storage;
import org.parley.server.store.VerificationCodes;

/** The embedded store: one SQLite file ({@code parley.db}) in the server's data directory. */
public final class SqliteStorage implements Storage, OnlineBackup {
  public static final String FILE_NAME = "parley.db";

  private final SqliteDatabase db;
  private final SqliteAccounts accounts;
  private final SqliteVerificationCodes codes;
  private final SqliteKeys keys;
  private final SqliteQueues queues;
  private final SqliteGroups groups;
  private final SqliteRegistrationLocks registrationLocks;

  public SqliteStorage(Path dataDirectory) {
    this(dataDirectory, SqliteDatabase.ACK_HOLD);
  }

  /** @param ackHold how long the writer waits for the acks of envelopes pushed before their commit */
  public SqliteStorage(Path dataDirectory, Duration ackHold) {
    this.db = new SqliteDatabase(dataDirectory.resolve(FILE_NAME), ackHold);
    this.queues = new SqliteQueues(db);
    this.accounts = new SqliteAccounts(db, queues::forget);
    this.codes = new SqliteVerificationCodes(db);
    this.keys = new SqliteKeys(db);
    this.groups = new SqliteGroups(db);
    this.registrationLocks = new SqliteRegistrationLocks(db);
  }

  @Override
  public Accounts accounts() {
    return accounts;
  }

  @Override
  public VerificationCodes verificationCodes() {
    return codes;
  }

  @Override
  public Keys keys() {
    return keys;
  }

  @Override
  public Queues queues() {
    return queues;
  }

  @Override
  public Groups groups() {
    return groups;
  }

  @Override
  public RegistrationLocks registrationLocks() {
    return registrationLocks;
  }

  @Override
  public void probe() {
    db.writeAndWait(
        c -> {
          try (var update = c.prepareStatement("UPDATE health SET probes = probes + 1 WHERE id = 1")) {
            return update.executeUpdate();
          }
        });
  }

  /**
   * SQLite's online backup API, from a reader connection, in a single step: one read transaction
   * copies every page, so the copy is one consistent moment while the writer goes on committing
   * (a copy in several steps would start over each time the writer commits).
   */
  @Override
  public void backupTo(Path target) {
    db.read(
        c -> {
          int result =
              c.unwrap(org.sqlite.SQLiteConnection.class)
                  .getDatabase()
                  .backup("main", target.toAbsolutePath().toString(), null, 100, 30, -1);
          if (result != 0) {
            throw new java.sql.SQLException("SQLite backup ended with code " + result);
          }
          return null;
        });
  }

  @Override
  public void close() {
    db.close();
  }
}
